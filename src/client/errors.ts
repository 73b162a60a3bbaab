/**
 * The client's one error type. Every answer that is not 2xx becomes an `EdgeMaasError`, whichever of the API's three
 * envelopes it came in (Open Inference Protocol `{"error": "..."}`, OpenAI's `{"error": {"message", "code", ...}}`,
 * edge-maas's own `{"error": {"code", "message", "requestId"}}`): every route names its code in `X-Error-Code` and
 * its request in `X-Request-Id`, so `code` and `requestId` are the same whatever the envelope. A request that never
 * got an answer (the server is down, DNS, TLS) is an `EdgeMaasError` too, with status 0 and code `network_error`.
 */

export class EdgeMaasError extends Error {
  /** edge-maas's error code (`quota_exceeded`, `model_not_found`...); `network_error` when no answer came. */
  readonly code: string;
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The server's id of the request (`X-Request-Id`), to quote when reporting a problem. */
  readonly requestId?: string;
  /** Seconds to wait before trying again (`Retry-After`), when the server said. */
  readonly retryAfter?: number;

  constructor(
    message: string,
    details: { code: string; status: number; requestId?: string; retryAfter?: number; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = "EdgeMaasError";
    this.code = details.code;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfter = details.retryAfter;
  }
}

/**
 * The error a non-2xx response stands for. `body` is its parsed JSON (or text) when the caller already read it.
 *
 * @example
 * if (!response.ok) throw errorFromResponse(response, await response.json().catch(() => undefined));
 */
export function errorFromResponse(response: Response, body: unknown): EdgeMaasError {
  const envelope = (body && typeof body === "object" ? (body as { error?: unknown }).error : undefined) as
    | string
    | { code?: unknown; message?: unknown; requestId?: unknown }
    | undefined;
  const inner = envelope && typeof envelope === "object" ? envelope : undefined;
  const code =
    response.headers.get("X-Error-Code") ?? (typeof inner?.code === "string" ? inner.code : `http_${response.status}`);
  const message =
    typeof envelope === "string"
      ? envelope
      : typeof inner?.message === "string"
        ? inner.message
        : typeof body === "string" && body.length > 0
          ? body.slice(0, 300)
          : `HTTP ${response.status} ${response.statusText}`.trim();
  const requestId =
    response.headers.get("X-Request-Id") ?? (typeof inner?.requestId === "string" ? inner.requestId : undefined);
  return new EdgeMaasError(message, {
    code,
    status: response.status,
    requestId,
    retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
  });
}

/** The error for a request that got no answer at all. */
export function networkError(url: string, cause: unknown): EdgeMaasError {
  const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : "";
  const origin = URL.canParse(url) ? new URL(url).origin : url;
  return new EdgeMaasError(`could not reach ${origin}${reason ? `: ${reason}` : ""}`, {
    code: "network_error",
    status: 0,
    cause,
  });
}

/**
 * `Retry-After` in seconds: a number of seconds, or an HTTP date (RFC 9110 §10.2.3); `undefined` without one.
 *
 * @example retryAfterSeconds("2") // 2
 */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
