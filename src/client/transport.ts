/**
 * How every call reaches the server: openapi-fetch over the generated `paths`, the right credential for each route
 * family (the admin token on `/admin/*`, the API key elsewhere), retries (./retry.ts), and one error type
 * (./errors.ts) for any answer that is not 2xx and for no answer at all.
 */
import createClient, { type Client } from "openapi-fetch";
import { EdgeMaasError, errorFromResponse, networkError } from "./errors";
import type { paths } from "./generated/openapi";
import { type RetryOptions, retryingFetch } from "./retry";

export interface ClientOptions {
  /** Where edge-maas answers: `http://127.0.0.1:8787`, `https://edge-maas.<account>.workers.dev`... */
  baseUrl: string;
  /** A tenant's API key (`emk_live_…`), sent on `/v1/*` and `/v2/*`. */
  apiKey?: string;
  /** The operator's `ADMIN_TOKEN`, sent on `/admin/*`. */
  adminToken?: string;
  /** The fetch to use; in a Worker, a service binding's (`env.EDGE_MAAS.fetch`). Default: the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
  /** Retries of 429/503 with `Retry-After` (./retry.ts); `false`: none. */
  retry?: RetryOptions | false;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Options every call takes. */
export type CallOptions = {
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

/** Options of the calls that run a model (metered): an `Idempotency-Key` makes retries safe and charged once. */
export type MeteredCallOptions = CallOptions & {
  /** `true`: a new random key for this call (kept by its retries). */
  idempotencyKey?: string | true;
};

export type RawClient = Client<paths>;

export function createTransport(options: ClientOptions): RawClient {
  const base = options.fetch ?? ((request: Request) => fetch(request));
  const send = options.retry === false ? base : retryingFetch(base, options.retry);
  const raw = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.headers,
    fetch: async (request) => {
      try {
        return await send(request);
      } catch (error) {
        throw error instanceof EdgeMaasError || isAbort(error) ? error : networkError(request.url, error);
      }
    },
  });
  raw.use({
    onRequest({ request }) {
      if (request.headers.has("Authorization")) return undefined;
      const admin = new URL(request.url).pathname.startsWith("/admin/");
      const credential = admin ? options.adminToken : options.apiKey;
      if (credential) request.headers.set("Authorization", `Bearer ${credential}`);
      return request;
    },
  });
  return raw;
}

/**
 * The data of a 2xx answer, or the `EdgeMaasError` of any other.
 *
 * @example const tenant = await unwrap(raw.GET("/admin/tenants/{id}", { params: { path: { id } } }));
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as T;
}

/** The headers of a call: its own, and an `Idempotency-Key` when asked for. */
export function callHeaders(options: MeteredCallOptions = {}): Record<string, string> {
  const { idempotencyKey } = options;
  if (idempotencyKey === undefined) return { ...options.headers };
  const key = idempotencyKey === true ? crypto.randomUUID() : idempotencyKey;
  return { ...options.headers, "Idempotency-Key": key };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}
