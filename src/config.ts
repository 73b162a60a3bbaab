/**
 * Server limits and tunables, read from the Worker's `[vars]` (wrangler.toml) with safe defaults.
 */

export interface Config {
  /** Largest inference request body. */
  maxRequestBytes: number;
  /** Largest model upload. */
  maxModelBytes: number;
  /** Largest admin JSON body. */
  maxAdminJsonBytes: number;
  /** Default largest element count of one input tensor (a manifest's `limits.maxElements` overrides it). */
  maxTensorElements: number;
  /** Default largest number of texts or images in one task request (a manifest's `limits.maxItems` overrides it). */
  maxTaskItems: number;
  /** The same for `POST /v1/embeddings`, whose clients batch more (OpenAI takes 2,048 inputs). */
  maxEmbeddingInputs: number;
  /** Default largest decoded image in pixels (a manifest's `limits.maxImagePixels` overrides it). */
  maxImagePixels: number;
  /** The WASM heap's budget: sessions and runs are planned to fit it, idle sessions released to make room. */
  sessionBudgetBytes: number;
  /** The WASM heap never grows past this; an allocation that would is refused (a run's estimate was too low). */
  heapCeilingBytes: number;
  /** Nodes an uploaded model may have, in all its graphs. */
  maxGraphNodes: number;
  /** Trip count a `Loop` with a constant count may have unless its manifest sets `limits.maxLoopIterations`. */
  maxLoopIterations: number;
  /** Runs that may wait for their turn in one isolate; more are refused with 503 `runtime_busy`. */
  maxQueuedRuns: number;
  /** Requests of one tenant that may be running or waiting to run in one isolate; more get 429. */
  maxConcurrentRunsPerTenant: number;
  /** How long an isolate trusts its cached copy of a manifest. */
  manifestCacheMillis: number;
  /** Largest OIP response with JSON tensors, estimated from output shapes before it is built (binary is not bounded). */
  maxJsonResponseBytes: number;
  /** Largest response the KV cache stores (KV values are at most 25 MiB). */
  maxCachedBytes: number;
  /** `required`: every inference call needs a tenant's API key and is metered. `off`: open, single-tenant. */
  tenancy: "required" | "off";
  /**
   * `on`: a JSON log line per request and per-model metrics; `metrics`: the metrics without the log lines (the
   * in-workerd tests, whose runner would receive every line); `off`: neither (the benchmark's reference run).
   */
  monitoring: "on" | "metrics" | "off";
  /** The metrics buffer's timer (`METRICS_FLUSH_TIMER=off`: the in-workerd tests only; see metrics-buffer.ts). */
  metricsFlushTimer: boolean;
  /** Delay added to every Durable Object call (benchmarks and tests only; 0 when `DO_DELAY_MS` is absent). */
  doDelayMillis: number;
  /**
   * `isolate`: onnxruntime starts with the isolate, before its first request. `request`: the first request that
   * needs a model starts it (the bench's before-and-after; or where isolates that serve only Durable Objects matter).
   */
  ortStart: "isolate" | "request";
}

const MiB = 1024 * 1024;
/** KV's value limit is 25 MiB; the stored head needs a little of it. */
const MAX_KV_VALUE_BYTES = 25 * MiB - 64 * 1024;

type ConfigVars = Partial<
  Record<
    | "MAX_REQUEST_BYTES"
    | "MAX_MODEL_BYTES"
    | "MAX_TENSOR_ELEMENTS"
    | "MAX_TASK_ITEMS"
    | "MAX_EMBEDDING_INPUTS"
    | "MAX_IMAGE_PIXELS"
    | "SESSION_BUDGET_MB"
    | "MAX_GRAPH_NODES"
    | "MAX_QUEUED_RUNS"
    | "MAX_CONCURRENT_RUNS_PER_TENANT"
    | "MANIFEST_CACHE_MS"
    | "TENANCY"
    | "CACHE_MAX_BYTES"
    | "MAX_JSON_RESPONSE_BYTES"
    | "DO_DELAY_MS"
    | "MONITORING"
    | "METRICS_FLUSH_TIMER"
    | "ORT_START",
    string
  >
>;

/** How far past its budget the heap may grow when an estimate was low. */
const HEAP_CEILING_FACTOR = 1.25;

export function readConfig(vars: ConfigVars): Config {
  const sessionBudgetBytes = positive(vars.SESSION_BUDGET_MB, 80) * MiB;
  return {
    maxRequestBytes: positive(vars.MAX_REQUEST_BYTES, 16 * MiB),
    maxModelBytes: positive(vars.MAX_MODEL_BYTES, 64 * MiB),
    maxAdminJsonBytes: 256 * 1024,
    maxTensorElements: positive(vars.MAX_TENSOR_ELEMENTS, 4 * MiB),
    maxTaskItems: positive(vars.MAX_TASK_ITEMS, 128),
    maxEmbeddingInputs: positive(vars.MAX_EMBEDDING_INPUTS, 2048),
    maxImagePixels: positive(vars.MAX_IMAGE_PIXELS, 4 * MiB),
    sessionBudgetBytes,
    heapCeilingBytes: sessionBudgetBytes * HEAP_CEILING_FACTOR,
    maxGraphNodes: positive(vars.MAX_GRAPH_NODES, 20_000),
    maxLoopIterations: 10_000,
    maxQueuedRuns: positive(vars.MAX_QUEUED_RUNS, 64),
    maxConcurrentRunsPerTenant: positive(vars.MAX_CONCURRENT_RUNS_PER_TENANT, 16),
    manifestCacheMillis: nonNegative(vars.MANIFEST_CACHE_MS, 2000),
    maxJsonResponseBytes: positive(vars.MAX_JSON_RESPONSE_BYTES, 16 * MiB),
    maxCachedBytes: Math.min(positive(vars.CACHE_MAX_BYTES, MAX_KV_VALUE_BYTES), MAX_KV_VALUE_BYTES),
    tenancy: vars.TENANCY === "off" ? "off" : "required",
    doDelayMillis: nonNegative(vars.DO_DELAY_MS, 0),
    monitoring: vars.MONITORING === "off" || vars.MONITORING === "metrics" ? vars.MONITORING : "on",
    metricsFlushTimer: vars.METRICS_FLUSH_TIMER !== "off",
    ortStart: vars.ORT_START === "request" ? "request" : "isolate",
  };
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

function nonNegative(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
}
