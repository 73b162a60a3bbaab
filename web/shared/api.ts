/**
 * The pages' HTTP client: one `fetch` per call, the credential from the page's session, and every answer read the
 * same way (status, body, the headers a person wants to see, the time it took). Errors come back as values in any
 * of the API's three envelopes (OIP `{"error": "…"}`, OpenAI's and ours), with the code from `X-Error-Code`, so a
 * page always has a message and a code to show. Requests go to the page's own origin.
 */

export interface ApiError {
  code: string;
  message: string;
}

export interface ApiAnswer<T = unknown> {
  ok: boolean;
  status: number;
  data?: T;
  error?: ApiError;
  headers: Headers;
  /** Milliseconds from sending the request to reading the whole answer, in this page. */
  ms: number;
}

export type Body = BodyInit | Record<string, unknown> | unknown[] | undefined;

export class ApiClient {
  /** @param credential  the bearer token to send (an API key, or the admin token), read at each call */
  constructor(private readonly credential: () => string | undefined) {}

  get<T>(path: string): Promise<ApiAnswer<T>> {
    return this.call<T>("GET", path);
  }

  /**
   * @example await api.call("POST", "/v1/run/lid-176", { text: "Bonjour" })
   * @example await api.call("POST", "/v1/run/mnist-digits", pngBlob, { "Content-Type": "image/png" })
   */
  async call<T>(
    method: string,
    path: string,
    body?: Body,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const sent = new Headers(headers);
    const token = this.credential();
    if (token) sent.set("Authorization", `Bearer ${token}`);
    let payload: BodyInit | undefined;
    if (isJson(body)) {
      payload = JSON.stringify(body);
      if (!sent.has("Content-Type")) sent.set("Content-Type", "application/json");
    } else payload = body;
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(path, { method, headers: sent, body: payload, credentials: "omit", cache: "no-store" });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, status: 0, error: { code: "network_error", message }, headers: new Headers(), ms: 0 };
    }
    const text = await response.text();
    const ms = performance.now() - started;
    const data = parse(text);
    if (response.ok) return { ok: true, status: response.status, data: data as T, headers: response.headers, ms };
    return { ok: false, status: response.status, error: errorOf(response, data, text), headers: response.headers, ms };
  }
}

function isJson(body: Body): body is Record<string, unknown> | unknown[] {
  return (
    body !== undefined &&
    body !== null &&
    typeof body === "object" &&
    (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype)
  );
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The message and code of an error answer, whichever envelope it came in. */
export function errorOf(response: { status: number; headers: Headers }, data: unknown, text = ""): ApiError {
  const header = response.headers.get("X-Error-Code");
  const error = (data as { error?: unknown } | undefined)?.error;
  if (typeof error === "string") return { code: header ?? `http_${response.status}`, message: error };
  if (error && typeof error === "object") {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return { code: header ?? String(code ?? `http_${response.status}`), message: String(message ?? "") };
  }
  return { code: header ?? `http_${response.status}`, message: text.slice(0, 300) || `HTTP ${response.status}` };
}
