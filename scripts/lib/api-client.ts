/**
 * A small client for the scripts that drive a running server (seeding, the dev key, the benchmark): checked
 * responses and admin API calls. Plain fetch, so it runs in Node and in workerd (the tests seed through it).
 */

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
  const response = await expectOk(
    retryingBusy(() => fetcher(`${server.baseUrl}${path}`, { method, headers, body: payload })),
    what,
  );
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const BUSY_ATTEMPTS = 10;

/**
 * Sends again, after its `Retry-After` (at most 10 s), a call the server answered 503 (`runtime_busy`: an upload's
 * model does not fit the isolate's WASM memory until the sessions in use are released), up to 10 times.
 */
async function retryingBusy(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    const seconds = Number(response.headers.get("Retry-After") ?? "1");
    if (response.status !== 503 || attempt >= BUSY_ATTEMPTS || !(seconds <= 10)) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0.1, seconds) * 1000));
  }
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
