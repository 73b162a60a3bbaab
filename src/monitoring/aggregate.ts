/**
 * What a model version served over some span of time, in a form that adds up: counters, durations (count and
 * total), latency histograms with fixed buckets, the top-1 labels of classifiers and the last session memory
 * seen. Isolates fill one per model, version and minute from the requests they answer, and send them in batches to
 * the model's metrics object, which adds them into its rows (see metrics-object.ts). Plain JSON throughout: it
 * crosses a Durable Object RPC boundary and is stored as text.
 */

import type { ModelWork } from "./observation";

/** Upper bounds (seconds) of the latency histograms' buckets; a last bucket takes the rest (`+Inf`). */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5,
  0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 30,
] as const;

/** Distinct top-1 labels one aggregate keeps; the rest are counted under OTHER_LABEL. */
export const MAX_LABELS = 200;
export const OTHER_LABEL = "(other)";

export interface Histogram {
  /** Observations per bucket, not cumulative; one more than DURATION_BUCKETS (the last is `+Inf`). */
  counts: number[];
  /** Sum of the observations, in seconds. */
  sum: number;
}

/** How many times something happened and how long it took in all, in milliseconds. */
export type Duration = [count: number, millis: number];

/** The durations Triton's statistics extension reports (`inference_stats`). */
export const STAT_NAMES = [
  "success",
  "fail",
  "queue",
  "computeInput",
  "computeInfer",
  "computeOutput",
  "cacheHit",
  "cacheMiss",
] as const;
export type StatName = (typeof STAT_NAMES)[number];

export interface Aggregate {
  /** Requests by status class (`2xx`, `4xx`, `5xx`) and error code (`""` when the response carries none). */
  requests: Record<string, Record<string, number>>;
  /** 2xx answers from the response cache. */
  cacheHits: number;
  /** Units of 2xx requests (what they were metered). */
  units: number;
  /** Units of 2xx requests that ran the model (Triton's `inference_count`: no cache hits). */
  inferences: number;
  /** Session runs of 2xx requests (Triton's `execution_count`). */
  executions: number;
  /** Requests that had to create the model's session first. */
  coldStarts: number;
  /** When the last 2xx request was answered (epoch ms; 0 for never). */
  lastInference: number;
  stats: Record<StatName, Duration>;
  /** Whole requests, every status. */
  duration: Histogram;
  /** Time inside `session.run`, for requests that ran the model. */
  infer: Histogram;
  /** Top-1 label of each item a classifier answered → count. */
  labels: Record<string, number>;
  /** Items with a top-1 label, and the sum of their scores. */
  confidence: [count: number, sum: number];
  /** The session's WASM memory charge as last reported, and when (epoch ms). */
  memory: [at: number, bytes: number];
}

/** One request as the metrics see it. */
export interface Served extends ModelWork {
  status: number;
  /** Our error code (`X-Error-Code`), if any. */
  code?: string;
  cache?: string;
  units: number;
  totalMs: number;
  /** When it was answered (epoch ms). */
  at: number;
}

export function emptyAggregate(): Aggregate {
  return {
    requests: {},
    cacheHits: 0,
    units: 0,
    inferences: 0,
    executions: 0,
    coldStarts: 0,
    lastInference: 0,
    stats: Object.fromEntries(STAT_NAMES.map((name) => [name, [0, 0]])) as Record<StatName, Duration>,
    duration: emptyHistogram(),
    infer: emptyHistogram(),
    labels: {},
    confidence: [0, 0],
    memory: [0, 0],
  };
}

function emptyHistogram(): Histogram {
  return { counts: new Array(DURATION_BUCKETS.length + 1).fill(0), sum: 0 };
}

/** Adds one request into `into`. */
export function observe(into: Aggregate, served: Served): void {
  const statusClass = `${Math.floor(served.status / 100)}xx`;
  const byCode = (into.requests[statusClass] ??= {});
  const code = served.code ?? "";
  byCode[code] = (byCode[code] ?? 0) + 1;
  addToHistogram(into.duration, served.totalMs / 1000);
  const ok = served.status >= 200 && served.status <= 299;
  if (served.cold) into.coldStarts += 1;
  if (served.sessionBytes !== undefined && served.at >= into.memory[0]) into.memory = [served.at, served.sessionBytes];
  if (!ok) {
    addDuration(into.stats.fail, served.totalMs);
    return;
  }
  const hit = served.cache === "HIT";
  into.units += served.units;
  into.lastInference = Math.max(into.lastInference, served.at);
  addDuration(into.stats.success, served.totalMs);
  addDuration(into.stats.queue, served.queueMs);
  if (hit) {
    into.cacheHits += 1;
    addDuration(into.stats.cacheHit, served.cacheMs);
    return;
  }
  if (served.cache === "MISS") addDuration(into.stats.cacheMiss, served.cacheMs);
  into.inferences += served.units;
  into.executions += served.runs;
  addDuration(into.stats.computeInput, served.inputMs);
  addDuration(into.stats.computeInfer, served.inferMs);
  addDuration(into.stats.computeOutput, served.outputMs);
  if (served.runs > 0) addToHistogram(into.infer, served.inferMs / 1000);
  for (const { label, score } of served.labels ?? []) {
    countLabel(into.labels, label, 1);
    into.confidence[0] += 1;
    into.confidence[1] += score;
  }
}

/** Adds `from` into `into` (both aggregates of the same model and version). */
export function addInto(into: Aggregate, from: Aggregate): Aggregate {
  for (const [statusClass, byCode] of Object.entries(from.requests)) {
    const target = (into.requests[statusClass] ??= {});
    for (const [code, count] of Object.entries(byCode)) target[code] = (target[code] ?? 0) + count;
  }
  into.cacheHits += from.cacheHits;
  into.units += from.units;
  into.inferences += from.inferences;
  into.executions += from.executions;
  into.coldStarts += from.coldStarts;
  into.lastInference = Math.max(into.lastInference, from.lastInference);
  for (const name of STAT_NAMES) addDuration(into.stats[name], from.stats[name][1], from.stats[name][0]);
  addHistograms(into.duration, from.duration);
  addHistograms(into.infer, from.infer);
  for (const [label, count] of Object.entries(from.labels)) countLabel(into.labels, label, count);
  into.confidence[0] += from.confidence[0];
  into.confidence[1] += from.confidence[1];
  if (from.memory[0] >= into.memory[0]) into.memory = [...from.memory];
  return into;
}

/** Every request counted, whatever its status. */
export function requestCount(aggregate: Aggregate): number {
  let total = 0;
  for (const byCode of Object.values(aggregate.requests)) for (const count of Object.values(byCode)) total += count;
  return total;
}

/**
 * The `q` quantile (0..1) of a histogram in seconds, as Prometheus's `histogram_quantile` estimates it: linear
 * within the bucket it falls in; the largest finite bound when it falls in `+Inf`; undefined when empty.
 */
export function quantile(histogram: Histogram, q: number): number | undefined {
  const total = histogram.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const count = histogram.counts[i]!;
    if (below + count >= rank && count > 0) {
      if (i === DURATION_BUCKETS.length) return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
      const lower = i === 0 ? 0 : DURATION_BUCKETS[i - 1]!;
      return lower + (DURATION_BUCKETS[i]! - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
}

function addDuration(into: Duration, millis: number, count = 1): void {
  into[0] += count;
  into[1] += millis;
}

function addToHistogram(histogram: Histogram, seconds: number): void {
  let bucket = DURATION_BUCKETS.findIndex((bound) => seconds <= bound);
  if (bucket < 0) bucket = DURATION_BUCKETS.length;
  histogram.counts[bucket]! += 1;
  histogram.sum += seconds;
}

function addHistograms(into: Histogram, from: Histogram): void {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sum += from.sum;
}

/** Labels are the manifest's words: one named `__proto__` is stored as an own property like any other. */
function countLabel(labels: Record<string, number>, label: string, count: number): void {
  const key = Object.hasOwn(labels, label) || Object.keys(labels).length < MAX_LABELS ? label : OTHER_LABEL;
  const value = (Object.hasOwn(labels, key) ? labels[key]! : 0) + count;
  Object.defineProperty(labels, key, { value, enumerable: true, writable: true, configurable: true });
}
