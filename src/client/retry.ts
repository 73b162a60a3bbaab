/**
 * Retries, as the API asks for them: a 429 (rate limit) or 503 (the runtime is busy) with `Retry-After`, and a 409
 * `idempotency_in_progress` (the first attempt of an idempotent request is still running), are sent again after
 * the time the server named, as the very same request: same body, same `Idempotency-Key`, so a retry is never
 * charged twice. A `Retry-After` longer than `maxDelaySeconds` (a monthly quota's is days) is not waited for: the
 * error is the caller's to handle. A request that got no answer is retried only when repeating it is harmless
 * (GET, PUT, DELETE, or any request with an `Idempotency-Key`).
 */
import { retryAfterSeconds } from "./errors";

export interface RetryOptions {
  /** Attempts after the first (default 3). */
  retries?: number;
  /** The longest `Retry-After` waited for, in seconds (default 30). */
  maxDelaySeconds?: number;
  /** Told before each wait, e.g. to print "rate limited, retrying in 2 s". */
  onRetry?: (event: { attempt: number; delaySeconds: number; status: number; code?: string }) => void;
}

type Fetch = (request: Request) => Promise<Response>;

const RETRIED_STATUSES = new Set([429, 503]);
const SAFE_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
/** Waits when an answer named no `Retry-After`, or when no answer came: 0.5 s, 1 s, 2 s... */
const BACKOFF_SECONDS = 0.5;

/**
 * A fetch that retries as described above.
 *
 * @example const send = retryingFetch(fetch, { retries: 2, onRetry: (e) => console.warn(e) });
 */
export function retryingFetch(fetch: Fetch, options: RetryOptions = {}): Fetch {
  const { retries = 3, maxDelaySeconds = 30, onRetry } = options;
  return async function send(request: Request): Promise<Response> {
    const replayable = SAFE_METHODS.has(request.method) || request.headers.has("Idempotency-Key");
    for (let attempt = 1; ; attempt++) {
      const last = attempt > retries;
      // a Request's body can be sent once: each attempt but the last sends a copy
      let response: Response;
      try {
        response = await fetch(last ? request : request.clone());
      } catch (error) {
        if (last || !replayable) throw error;
        const delaySeconds = BACKOFF_SECONDS * 2 ** (attempt - 1);
        onRetry?.({ attempt, delaySeconds, status: 0, code: "network_error" });
        await sleep(delaySeconds);
        continue;
      }
      const delaySeconds = last ? undefined : retryDelay(response, attempt);
      if (delaySeconds === undefined || delaySeconds > maxDelaySeconds) return response;
      onRetry?.({
        attempt,
        delaySeconds,
        status: response.status,
        code: response.headers.get("X-Error-Code") ?? undefined,
      });
      await response.body?.cancel();
      await sleep(delaySeconds);
    }
  };
}

/** Seconds to wait before sending the request again, or `undefined` when it is not to be retried. */
function retryDelay(response: Response, attempt: number): number | undefined {
  const code = response.headers.get("X-Error-Code");
  const retried =
    RETRIED_STATUSES.has(response.status) || (response.status === 409 && code === "idempotency_in_progress");
  if (!retried || code === "quota_exceeded") return undefined;
  return retryAfterSeconds(response.headers.get("Retry-After")) ?? BACKOFF_SECONDS * 2 ** (attempt - 1);
}

function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
