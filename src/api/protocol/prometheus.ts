/**
 * The models' aggregates in Prometheus's text exposition format (version 0.0.4): one `# HELP` and `# TYPE` per
 * family, names under `edge_maas_`, base units (seconds, bytes), `_total` counters and cumulative histogram
 * buckets ending in `le="+Inf"`. Written here rather than with a client library: those keep live counters and
 * observe one value at a time, while these numbers arrive already added up from the metrics objects.
 */
import { type Aggregate, DURATION_BUCKETS, type Histogram } from "../../monitoring/aggregate";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface ModelVersionAggregate {
  model: string;
  version: string;
  aggregate: Aggregate;
}

type Labels = Record<string, string>;
type Sample = { suffix?: string; labels: Labels; value: number };

/** The text of `GET /metrics`. `batches`: metrics batches each model's object has received (its writes). */
export function exposition(rows: readonly ModelVersionAggregate[], batches: Record<string, number>): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: Sample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const { suffix = "", labels, value } of samples)
      out.push(`${name}${suffix}${labelText(labels)} ${number(value)}`);
  };
  const each = (value: (a: Aggregate) => number) =>
    rows.map(({ model, version, aggregate }) => ({ labels: { model, version }, value: value(aggregate) }));

  family(
    "edge_maas_requests_total",
    "counter",
    "Inference requests by model, version, status class and error code (empty when none).",
    rows.flatMap(({ model, version, aggregate }) =>
      Object.entries(aggregate.requests).flatMap(([status, byCode]) =>
        Object.entries(byCode).map(([code, value]) => ({ labels: { model, version, status, code }, value })),
      ),
    ),
  );
  family(
    "edge_maas_cache_hits_total",
    "counter",
    "Requests answered from the response cache.",
    each((a) => a.cacheHits),
  );
  family(
    "edge_maas_units_total",
    "counter",
    "Units charged for successful requests.",
    each((a) => a.units),
  );
  family(
    "edge_maas_executions_total",
    "counter",
    "Session runs of successful requests (cache hits run none).",
    each((a) => a.executions),
  );
  family(
    "edge_maas_cold_starts_total",
    "counter",
    "Requests that created the model's session first.",
    each((a) => a.coldStarts),
  );
  histogram(
    out,
    "edge_maas_request_duration_seconds",
    "Time to answer a request, every status.",
    rows,
    (a) => a.duration,
  );
  histogram(
    out,
    "edge_maas_inference_duration_seconds",
    "Time inside session.run per request that ran the model.",
    rows,
    (a) => a.infer,
  );
  family(
    "edge_maas_session_memory_bytes",
    "gauge",
    "WASM memory charged to the model's session, as last reported by an isolate.",
    rows
      .filter(({ aggregate }) => aggregate.memory[0] > 0)
      .map(({ model, version, aggregate }) => ({
        labels: { model, version },
        value: aggregate.memory[1],
      })),
  );
  family(
    "edge_maas_metrics_batches_total",
    "counter",
    "Batches of metrics each model's metrics object received from isolates (its writes).",
    Object.entries(batches).map(([model, value]) => ({ labels: { model }, value })),
  );
  return `${out.join("\n")}\n`;
}

function histogram(
  out: string[],
  name: string,
  help: string,
  rows: readonly ModelVersionAggregate[],
  pick: (a: Aggregate) => Histogram,
): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const { model, version, aggregate } of rows) {
    const { counts, sum } = pick(aggregate);
    let cumulative = 0;
    counts.forEach((count, i) => {
      cumulative += count;
      const le = i < DURATION_BUCKETS.length ? String(DURATION_BUCKETS[i]) : "+Inf";
      out.push(`${name}_bucket${labelText({ model, version, le })} ${cumulative}`);
    });
    out.push(`${name}_sum${labelText({ model, version })} ${number(sum)}`);
    out.push(`${name}_count${labelText({ model, version })} ${cumulative}`);
  }
}

/** `{a="1",b="x\"y"}`: backslash, double quote and line feed escaped, as the format requires. */
function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return `{${pairs.join(",")}}`;
}

function number(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}
