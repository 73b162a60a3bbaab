/**
 * The one place errors become HTTP. Domain `AppError` codes map to a status; anything else (Hono's
 * `HTTPException`, JSON syntax errors, bugs) is turned into an `AppError` first.
 * Each API family answers in its own envelope, all with our code in `X-Error-Code`:
 * - Open Inference Protocol routes (`/v2...`): `{"error": "..."}`, as their spec requires;
 * - OpenAI-compatible routes (`/v1/embeddings`, `/v1/models...`): OpenAI's `{"error": {"message", "type", "param",
 *   "code"}}`, with OpenAI's own code where it has one (clients act on them: LangChain does not retry
 *   `insufficient_quota`);
 * - every other route: `{"error": {"code", "message", "requestId"}}`.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode, isAppError } from "../../errors";
import type { AppEnv } from "../context";

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_binary_header: 400,
  tensor_mismatch: 422,
  inference_failed: 422,
  unauthorized: 401,
  admin_not_configured: 503,
  missing_key: 401,
  malformed_key: 401,
  unknown_key: 401,
  expired_key: 401,
  revoked_key: 401,
  insufficient_scope: 403,
  origin_not_allowed: 403,
  rate_limited: 429,
  quota_exceeded: 429,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  tenant_not_found: 404,
  key_not_found: 404,
  not_found: 404,
  model_not_found: 404,
  version_not_found: 404,
  alias_not_found: 404,
  asset_not_found: 404,
  optimized_graph_not_found: 404,
  method_not_allowed: 405,
  version_exists: 409,
  alias_in_use: 409,
  version_in_use: 409,
  conflict: 409,
  payload_too_large: 413,
  response_too_large: 413,
  too_many_elements: 413,
  batch_too_large: 413,
  unsupported_media_type: 415,
  too_many_pixels: 413,
  audio_too_long: 413,
  too_much_compute: 413,
  invalid_media: 422,
  invalid_model: 422,
  invalid_manifest: 422,
  optimized_graph_differs: 422,
  too_many_concurrent_runs: 429,
  runtime_busy: 503,
  internal_error: 500,
};

/** The OIP REST spec answers requests that do not fit the model with 400. */
const OIP_STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  tensor_mismatch: 400,
  inference_failed: 400,
};

const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function isOipPath(path: string): boolean {
  return path === "/v2" || path.startsWith("/v2/");
}

/** The routes that answer as OpenAI's API does. */
export function isOpenAiPath(path: string): boolean {
  return path === "/v1/embeddings" || path === "/v1/models" || path.startsWith("/v1/models/");
}

/** OpenAI's error `type`, by status (its SDKs pick the error class from the status alone). */
function openAiType(error: AppError, status: number): string {
  if (error.code === "quota_exceeded") return "insufficient_quota";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** Codes OpenAI's API documents for the same conditions; ours otherwise. */
const OPENAI_CODES: Partial<Record<ErrorCode, string>> = {
  missing_key: "invalid_api_key",
  malformed_key: "invalid_api_key",
  unknown_key: "invalid_api_key",
  expired_key: "invalid_api_key",
  revoked_key: "invalid_api_key",
  quota_exceeded: "insufficient_quota",
  rate_limited: "rate_limit_exceeded",
  model_not_found: "model_not_found",
};

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400 && /json/i.test(error.message))
      return new AppError("invalid_json", "the request body is not valid JSON");
    const code = HTTP_EXCEPTION_CODES[error.status] ?? "invalid_request";
    return new AppError(code, error.message || code.replaceAll("_", " "));
  }
  if (error instanceof SyntaxError)
    return new AppError("invalid_json", `the request body is not valid JSON: ${error.message}`);
  return new AppError("internal_error", "internal error", { cause: error });
}

export function statusOf(error: AppError, path: string): ContentfulStatusCode {
  return (isOipPath(path) ? OIP_STATUS[error.code] : undefined) ?? STATUS[error.code];
}

export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const status = statusOf(error, c.req.path);
  const requestId = c.get("requestId");
  const message = boundedMessage(error.message);
  c.header("X-Error-Code", error.code);
  if (error.retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.ceil(error.retryAfterSeconds)));
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  if (isOipPath(c.req.path)) return c.json({ error: message }, status);
  if (isOpenAiPath(c.req.path)) {
    const body = {
      message,
      type: openAiType(error, status),
      param: error.param ?? null,
      code: OPENAI_CODES[error.code] ?? error.code,
    };
    return c.json({ error: body }, status);
  }
  return c.json({ error: { code: error.code, message, requestId } }, status);
}

/** Error messages stay under 1 KB of UTF-8, whatever they echo (a path, a header, a JSON key). */
const MAX_MESSAGE_BYTES = 1024;
const HEAD_BYTES = 640;
const TAIL_CHARS = 100;
const encoder = new TextEncoder();

/**
 * The message, or its start and its end around a note of what was cut: the end usually says what was expected.
 * Control characters become spaces so that JSON escaping cannot multiply the size.
 */
export function boundedMessage(message: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what this removes
  const text = message.replace(/[\u0000-\u001f\u007f]/g, " ");
  if (text.length * 3 <= MAX_MESSAGE_BYTES || encoder.encode(text).byteLength <= MAX_MESSAGE_BYTES) return text;
  const { read } = encoder.encodeInto(text, new Uint8Array(HEAD_BYTES)); // never splits a surrogate pair
  let tailStart = Math.max(read, text.length - TAIL_CHARS);
  if (/[\udc00-\udfff]/.test(text[tailStart] ?? "")) tailStart += 1;
  return `${text.slice(0, read)} … (${tailStart - read} characters cut) … ${text.slice(tailStart)}`;
}

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const appError = toAppError(error);
  if (appError.code === "internal_error") console.error(`[${c.get("requestId")}] ${c.req.method} ${c.req.path}`, error);
  return errorResponse(c, appError);
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError("not_found", `no route for ${c.req.method} ${c.req.path}`));
