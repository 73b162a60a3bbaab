/**
 * A small client for the scripts that drive a running server (seeding, the dev key, the benchmark): checked
 * responses and admin API calls. Plain fetch, so it runs in Node and in workerd (the tests seed through it).
 */

/** Times a call answered 503 with Retry-After is sent again. */
const BUSY_RETRIES = 4;

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Where a server listens, its admin token, and the fetch that reaches it (the global one by default). */
export interface AdminServer {
  baseUrl: string;
  adminToken: string;
  fetch?: Fetch;
}

/** Returns `response` when it is 2xx; throws with its status and body otherwise. */
export async function expectOk(response: Response | Promise<Response>, what?: string): Promise<Response> {
  const settled = await response;
  if (!settled.ok) throw new Error(`${what ?? settled.url}: HTTP ${settled.status} ${await settled.text()}`.trimEnd());
  return settled;
}

/**
 * Calls the admin API with a JSON body (or raw bytes) and returns the JSON answer (`undefined` when empty).
 * @example await adminCall<{ id: string }>(server, "POST", "/admin/tenants", { name: "local" })
 */
export async function adminCall<T>(
  server: AdminServer,
  method: string,
  path: string,
  body?: unknown,
  what = `${method} ${path}`,
): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${server.adminToken}` };
  let payload: RequestInit["body"];
  if (body instanceof Uint8Array) {
    headers["Content-Type"] = "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const fetcher = server.fetch ?? fetch;
  const send = () => fetcher(`${server.baseUrl}${path}`, { method, headers, body: payload });
  let answer = await send();
  // 503 with Retry-After: the isolate had no WASM memory free for this upload's session at that moment (a few tries)
  for (
    let attempt = 1;
    answer.status === 503 && answer.headers.has("Retry-After") && attempt <= BUSY_RETRIES;
    attempt++
  ) {
    await answer.body?.cancel();
    await new Promise((resolve) =>
      setTimeout(resolve, 1000 * Math.min(5, Number(answer.headers.get("Retry-After")) || 1)),
    );
    answer = await send();
  }
  const response = await expectOk(answer, what);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Creates a tenant (name, limits, metering mode...) and an API key for it; returns the key's plaintext (shown once). */
export async function createTenantKey(
  server: AdminServer,
  tenant: { name: string; limits: Record<string, number>; metering?: "exact" | "leased" },
  keyName: string,
): Promise<string> {
  const { id } = await adminCall<{ id: string }>(server, "POST", "/admin/tenants", tenant);
  return (await adminCall<{ key: string }>(server, "POST", `/admin/tenants/${id}/keys`, { name: keyName })).key;
}
