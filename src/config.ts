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
  /** WASM memory the session pool may fill before it releases least recently used sessions. */
  sessionBudgetBytes: number;
  /** How long an isolate trusts its cached copy of a manifest. */
  manifestCacheMillis: number;
  /** Largest response the KV cache stores (KV values are at most 25 MiB). */
  maxCachedBytes: number;
  /** `required`: every inference call needs a tenant's API key and is metered. `off`: open, single-tenant. */
  tenancy: "required" | "off";
  /** Delay added to every Durable Object call (benchmarks and tests only; 0 when `DO_DELAY_MS` is absent). */
  doDelayMillis: number;
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
    | "MANIFEST_CACHE_MS"
    | "TENANCY"
    | "CACHE_MAX_BYTES"
    | "DO_DELAY_MS",
    string
  >
>;

export function readConfig(vars: ConfigVars): Config {
  return {
    maxRequestBytes: positive(vars.MAX_REQUEST_BYTES, 16 * MiB),
    maxModelBytes: positive(vars.MAX_MODEL_BYTES, 64 * MiB),
    maxAdminJsonBytes: 256 * 1024,
    maxTensorElements: positive(vars.MAX_TENSOR_ELEMENTS, 4 * MiB),
    maxTaskItems: positive(vars.MAX_TASK_ITEMS, 128),
    maxEmbeddingInputs: positive(vars.MAX_EMBEDDING_INPUTS, 2048),
    maxImagePixels: positive(vars.MAX_IMAGE_PIXELS, 4 * MiB),
    sessionBudgetBytes: positive(vars.SESSION_BUDGET_MB, 80) * MiB,
    manifestCacheMillis: nonNegative(vars.MANIFEST_CACHE_MS, 2000),
    maxCachedBytes: Math.min(positive(vars.CACHE_MAX_BYTES, MAX_KV_VALUE_BYTES), MAX_KV_VALUE_BYTES),
    tenancy: vars.TENANCY === "off" ? "off" : "required",
    doDelayMillis: nonNegative(vars.DO_DELAY_MS, 0),
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
