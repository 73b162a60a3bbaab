/**
 * An aggregate as people read it: requests, error rate, latency percentiles, cache ratio and, for classifiers,
 * the share of each top-1 label and the mean confidence. What the version comparison and the charts' series show.
 */
import { type Aggregate, quantile, requestCount } from "./aggregate";

export interface Summary {
  requests: number;
  /** Requests answered with a 4xx or 5xx. */
  errors: number;
  errorRate: number | null;
  /** Requests answered with a 5xx: the server's fault. */
  serverErrors: number;
  /** Milliseconds, estimated from the histogram (linear within a bucket, as Prometheus does); null with no requests. */
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  cacheHits: number;
  /** Cache hits over successful requests. */
  cacheRatio: number | null;
  units: number;
  coldStarts: number;
  /** Classifiers: share of each top-1 label among the items answered by running the model. */
  labels?: Record<string, number>;
  /** Classifiers: mean score of the top-1 labels. */
  meanConfidence?: number | null;
}

export function summarize(aggregate: Aggregate): Summary {
  const requests = requestCount(aggregate);
  const total = (statusClass: string) =>
    Object.values(aggregate.requests[statusClass] ?? {}).reduce((sum, count) => sum + count, 0);
  const ok = total("2xx");
  const serverErrors = total("5xx");
  const errors = requests - ok - total("1xx") - total("3xx");
  const ms = (q: number) => {
    const seconds = quantile(aggregate.duration, q);
    return seconds === undefined ? null : Math.round(seconds * 1e6) / 1e3;
  };
  const summary: Summary = {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    serverErrors,
    latencyMs: { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) },
    cacheHits: aggregate.cacheHits,
    cacheRatio: ok > 0 ? aggregate.cacheHits / ok : null,
    units: aggregate.units,
    coldStarts: aggregate.coldStarts,
  };
  const [items, scores] = aggregate.confidence;
  if (items > 0) {
    const shares = Object.entries(aggregate.labels)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([label, count]) => [label, count / items] as const);
    summary.labels = Object.fromEntries(shares);
    summary.meanConfidence = scores / items;
  }
  return summary;
}

/**
 * How far apart two label distributions are: half the sum of the differences of their shares (total variation
 * distance), 0 for the same distribution and 1 for ones that share no label.
 */
export function labelDistance(a: Record<string, number>, b: Record<string, number>): number {
  const labels = new Set([...Object.keys(a), ...Object.keys(b)]);
  let sum = 0;
  for (const label of labels)
    sum += Math.abs((Object.hasOwn(a, label) ? a[label]! : 0) - (Object.hasOwn(b, label) ? b[label]! : 0));
  return sum / 2;
}
