/** Timing helpers for the benchmark: sequential samples with warm-up, percentiles, formatting. */
import { fetchAgainIfClosed } from "../lib/fetch-again";

export interface Summary {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

/** Runs `fn` `warmup` times untimed, then `iterations` times timed; summarizes per-call milliseconds. */
export async function sample(
  fn: () => unknown,
  { warmup = 20, iterations = 300 }: { warmup?: number; iterations?: number } = {},
): Promise<Summary & { times: number[] }> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return { ...summarize(times), times };
}

/** p50, p99 and mean of a list of milliseconds. */
export function summarize(times: readonly number[]): Summary {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length, n: times.length };
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

export const ms = (value: number | undefined) =>
  value === undefined ? "–" : value < 10 ? value.toFixed(2) : value.toFixed(1);
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
/** `part` as a percentage of `whole`, one decimal. */
export const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;

/** Server-Timing durations by name, and `sessionRuns` from the `infer` entry's description. */
export type Timing = Record<string, number>;

/** Parses a Server-Timing header into {name: milliseconds}. */
export function serverTiming(header: string | null | undefined): Timing {
  const out: Timing = {};
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    const dur = params.find((p) => p.trim().startsWith("dur="));
    if (name && dur) out[name.trim()] = Number(dur.trim().slice(4));
    const runs = part.match(/desc="(\d+) session runs?"/);
    if (runs) out.sessionRuns = Number(runs[1]);
  }
  return out;
}

/** The mean of one Server-Timing entry over many responses (0 where a response lacks it). */
export function meanTiming(timings: readonly Timing[], name: string): number {
  return summarize(timings.map((t) => t[name] ?? 0)).mean;
}

/** Mean Server-Timing stages over many responses: `pre`, `infer`, `run` (inside session.run) and `post`. */
export function stageMeans(timings: readonly Timing[]): { pre: number; infer: number; run: number; post: number } {
  const mean = (name: string) => meanTiming(timings, name);
  return { pre: mean("pre"), infer: mean("infer"), run: mean("run"), post: mean("post") };
}

/** A markdown table from a header row and data rows. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** POSTs `body` and returns the Server-Timing of the answer (body read and dropped); throws unless 2xx. */
export async function postTimed(url: string, init: { headers: Record<string, string>; body: string | Uint8Array }) {
  const response = await fetchAgainIfClosed(url, { method: "POST", ...init });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return serverTiming(response.headers.get("server-timing"));
}

/**
 * Requests per second with autocannon. Its per-connection recorder appends every response body to a JS string
 * (`req.body += data`), which costs the client ≈10 ms per MB of binary and would cap any server; bodies are dropped.
 */
export async function requestsPerSecond(options: {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body: string | Uint8Array;
  connections: number;
  duration: number;
}): Promise<number> {
  const { default: autocannon } = await import("autocannon");
  const result = await autocannon({
    ...options,
    body: typeof options.body === "string" ? options.body : Buffer.from(options.body),
    setupClient: (client) => void ((client as unknown as PipelinedClient).pipelinedRequests.addBody = () => {}),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`autocannon ${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/** autocannon's client internals that the recorder patch above reaches into (not in its types). */
interface PipelinedClient {
  pipelinedRequests: { addBody: (data: unknown) => void };
}
