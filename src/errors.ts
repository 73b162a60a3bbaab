/**
 * Domain errors. Every module throws `AppError` with a stable code; only `src/api/protocol/errors.ts` knows which
 * HTTP status and body shape a code becomes.
 */

export const ERROR_CODES = [
  // the request itself is malformed
  "invalid_request",
  "invalid_json",
  "invalid_binary_header",
  // the request is well formed but does not fit the model
  "tensor_mismatch",
  "inference_failed",
  // lookups
  "not_found",
  "model_not_found",
  "version_not_found",
  "alias_not_found",
  "asset_not_found",
  "optimized_graph_not_found",
  "method_not_allowed",
  // limits
  "payload_too_large",
  "too_many_elements",
  "batch_too_large",
  "unsupported_media_type",
  "too_many_pixels",
  "audio_too_long",
  // an answer too large for the form asked (JSON tensors); the binary extension carries it
  "response_too_large",
  // a request whose run would take more memory or iterations than the model and the isolate allow
  "too_much_compute",
  // a body in an accepted media type that cannot be decoded (a broken image, a WAV without samples)
  "invalid_media",
  // uploads and registry state
  "invalid_model",
  "invalid_manifest",
  // an optimized graph that does not match the version's graph (signature or outputs)
  "optimized_graph_differs",
  "version_exists",
  "alias_in_use",
  "version_in_use",
  "conflict",
  // access: admin token, then API keys (one code per reason a key is refused)
  "unauthorized",
  "admin_not_configured",
  "missing_key",
  "malformed_key",
  "unknown_key",
  "expired_key",
  "revoked_key",
  "insufficient_scope",
  "origin_not_allowed",
  // tenancy
  "rate_limited",
  "quota_exceeded",
  "idempotency_key_reused",
  "idempotency_in_progress",
  "tenant_not_found",
  "key_not_found",
  // capacity
  "too_many_concurrent_runs",
  "runtime_busy",
  "internal_error",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  /** Seconds a client should wait before retrying (becomes `Retry-After`). */
  retryAfterSeconds?: number;
  /** Extra response headers, e.g. `RateLimit-*` on a 429. */
  headers?: Record<string, string>;
  /** The request field at fault (`input`, `model`...), for envelopes that name it (OpenAI's `param`). */
  param?: string;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
  readonly param?: string;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
    this.param = options.param;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** How much of a caller's value an error message repeats. */
const QUOTED_CHARS = 64;

/**
 * A caller's value as an error message shows it: JSON-quoted, at most 64 characters of it, so a 15 MiB string sent
 * where a number belongs costs a short message, not a 15 MiB one.
 *
 * @example
 * quote("x".repeat(1e6)) // '"xxxx…" (1000000 characters)'
 */
export function quote(value: unknown): string {
  if (typeof value === "string" && value.length > QUOTED_CHARS)
    return `${JSON.stringify(`${value.slice(0, QUOTED_CHARS)}…`)} (${value.length} characters)`;
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
