// Timing helpers for the benchmark: sequential samples with warm-up, percentiles, formatting.

/** Runs `fn` `warmup` times untimed, then `iterations` times timed; summarizes per-call milliseconds. */
export async function sample(fn, { warmup = 20, iterations = 300, raw = false } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return raw ? { ...summarize(times), times } : summarize(times);
}

/** p50, p99 and mean of a list of milliseconds. */
export function summarize(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length, n: times.length };
}

export const ms = (value) => (value === undefined ? "–" : value < 10 ? value.toFixed(2) : value.toFixed(1));
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
export const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

/** Parses a Server-Timing header into {name: milliseconds}. */
export function serverTiming(header) {
  const out = {};
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    const dur = params.find((p) => p.trim().startsWith("dur="));
    if (name && dur) out[name.trim()] = Number(dur.trim().slice(4));
    const runs = part.match(/desc="(\d+) session runs?"/);
    if (runs) out.sessionRuns = Number(runs[1]);
  }
  return out;
}

/** A markdown table from a header row and data rows. */
export function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/**
 * Requests per second with autocannon. Its per-connection recorder appends every response body to a JS string
 * (`req.body += data`), which costs the client ≈10 ms per MB of binary and would cap any server; bodies are dropped.
 */
export async function requestsPerSecond(options) {
  const { default: autocannon } = await import("autocannon");
  const result = await autocannon({
    ...options,
    setupClient: (client) => void (client.pipelinedRequests.addBody = () => {}),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`autocannon ${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}
