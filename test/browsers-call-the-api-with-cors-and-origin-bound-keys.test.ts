/**
 * Web pages call the public API across origins: preflights are answered before any key is checked (a browser never
 * sends one with them), responses expose the headers a page reads, and admin routes stay same-origin. A key bound
 * to web origins (`allowedOrigins`) works only from those origins, in both metering modes: from any other origin,
 * or with none, it is refused with 403 `origin_not_allowed` before any work, charged nothing, logged, and its
 * response is unreadable to the page (no `Access-Control-Allow-Origin`). The origins are those of RFC 6454 as
 * browsers serialize them; WHATWG URL parsing (`new URL(...).origin`) is the reference for what an entry may be.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { untilLeased } from "./support/leases";
import { METERED_MODEL, scaleRequest, settledUsage, uploadMeteredModel } from "./support/tenancy";
import { admin, anonymous, createKey, createTenant, json, withKey } from "./support/worker";

const infer = `/v2/models/${METERED_MODEL}/infer`;
const SHOP = "https://shop.example";
const ALLOWED = [SHOP, "https://*.shop.example", "http://localhost:5173"];

beforeAll(async () => {
  await uploadMeteredModel();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function preflight(path: string, origin: string, headers = "authorization,content-type"): Promise<Response> {
  return anonymous(path, {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers },
  });
}

/** Sends the metered request with `key` from `origin` (none when null) and reads the whole response. */
async function fromOrigin(key: string, origin: string | null, init: RequestInit = scaleRequest()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (origin !== null) headers.set("Origin", origin);
  const response = await withKey(key, infer, { ...init, headers });
  await response.arrayBuffer();
  return response;
}

describe("CORS on the public API", () => {
  it("answers preflights before authentication, for any origin, on /v1, /v2 and /openapi.json", async () => {
    for (const path of [
      infer,
      "/v1/run/lid-176",
      "/v1/embeddings",
      "/v1/models",
      "/v2",
      "/v2/health/ready",
      "/openapi.json",
    ]) {
      const response = await preflight(path, "https://app.example");
      expect(response.status, path).toBe(204);
      expect(response.headers.get("Access-Control-Allow-Origin"), path).toBe("https://app.example");
      expect(response.headers.get("Access-Control-Allow-Methods"), path).toContain("POST");
      expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase(), path).toContain("authorization");
      expect(response.headers.get("Access-Control-Max-Age"), path).toBe("7200");
      expect(response.headers.get("Vary"), path).toContain("Origin");
    }
  });

  it("refuses preflights on admin routes (no CORS headers: the console is same-origin) and for other methods", async () => {
    for (const path of ["/admin/tenants", "/admin/models"]) {
      const response = await preflight(path, "https://app.example");
      expect(response.status, path).toBe(401);
      expect(response.headers.get("Access-Control-Allow-Origin"), path).toBeNull();
    }
    const put = await anonymous(infer, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "PUT" },
    });
    expect(put.headers.get("Access-Control-Allow-Methods")!.split(",")).not.toContain("PUT");
  });

  it("lets the page read the request id, cache status, timings, rate limit, quota and units, also on a cache hit", async () => {
    const tenant = await createTenant({ name: "cors", limits: { requestsPerMinute: 10_000, monthlyUnits: 10_000 } });
    const { key } = await createKey(tenant.id);
    const miss = await fromOrigin(key, "https://a.example", scaleRequest(2, 77));
    const hit = await fromOrigin(key, "https://b.example", scaleRequest(2, 77));
    expect([miss.status, hit.status]).toEqual([200, 200]);
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    // the cached response was stored under another origin: the hit carries its own
    expect(miss.headers.get("Access-Control-Allow-Origin")).toBe("https://a.example");
    expect(hit.headers.get("Access-Control-Allow-Origin")).toBe("https://b.example");
    const exposed = hit.headers.get("Access-Control-Expose-Headers")!.toLowerCase().split(",");
    for (const name of ["X-Request-Id", "X-Cache", "Server-Timing", "RateLimit-Limit", "RateLimit-Remaining"])
      expect(exposed).toContain(name.toLowerCase());
    for (const name of [
      "RateLimit-Reset",
      "X-Quota-Remaining",
      "X-Units",
      "Retry-After",
      "Idempotent-Replayed",
      "Warning",
    ])
      expect(exposed).toContain(name.toLowerCase());
    // an error is readable too: a page shows the API's message
    const wrong = await anonymous(infer, { ...scaleRequest(), headers: { Origin: "https://a.example" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("Access-Control-Allow-Origin")).toBe("https://a.example");
  });
});

describe.each(["exact", "leased"] as const)("a key bound to web origins, %s metering", (metering) => {
  async function boundKey(name: string, input: { scopes?: string[] } = {}, monthlyUnits = 1_000) {
    const tenant = await createTenant({ name, limits: { requestsPerMinute: 10_000, monthlyUnits }, metering });
    const created = await createKey(tenant.id, { allowedOrigins: ALLOWED, ...input });
    return { tenant, ...created };
  }

  it("answers its origins (exact and subdomain wildcard) and refuses any other or none with 403, charging nothing", async () => {
    const { tenant, key } = await boundKey(`origins ${metering}`);
    // leased: a lease is held before the checks below, so they run in the isolate with no call to the object
    let charged = metering === "leased" ? await untilLeased(key, 10_000, { Origin: SHOP }) : 0;
    const log = vi.spyOn(console, "log");
    let value = 0;
    const send = (origin: string | null) => fromOrigin(key, origin, scaleRequest(1, (value += 1)));

    for (const origin of [SHOP, "https://eu.shop.example", "https://a.b.shop.example", "http://localhost:5173"]) {
      const response = await send(origin);
      expect(response.status, origin).toBe(200);
      expect(response.headers.get("Access-Control-Allow-Origin"), origin).toBe(origin);
      charged += 1;
    }
    const refused = [
      "https://evil.example",
      "https://shop.example.evil.example",
      "https://evilshop.example",
      "http://shop.example",
      "https://shop.example:8443",
      "http://localhost:5174",
      "null",
      null,
    ];
    for (const origin of refused) {
      const response = await send(origin);
      expect([response.status, response.headers.get("X-Error-Code")], String(origin)).toEqual([
        403,
        "origin_not_allowed",
      ]);
      expect(response.headers.get("Access-Control-Allow-Origin"), String(origin)).toBeNull();
    }
    const lines = log.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"msg":"refused"'));
    expect(lines).toHaveLength(refused.length);
    expect(JSON.parse(lines[0]!)).toMatchObject({ code: "origin_not_allowed", origin: "https://evil.example" });
    expect(lines.join("\n")).not.toContain(key);

    const report = await settledUsage(tenant.id);
    expect(report.totals).toMatchObject({ requests: charged, units: charged, unsettledUnits: 0 });
    expect(report.month).toMatchObject({ committedUnits: charged, reservedUnits: 0 });
  });

  it("is refused from another origin on every keyed route", async () => {
    const { key } = await boundKey(`routes ${metering}`);
    const routes = ["/v1/models", `/v1/models/${METERED_MODEL}`, "/v1/usage", `/v2/models/${METERED_MODEL}`];
    for (const path of routes) {
      const ok = await withKey(key, path, { headers: { Origin: SHOP } });
      expect(ok.status, path).toBe(200);
      const refused = await withKey(key, path, { headers: { Origin: "https://evil.example" } });
      expect(refused.status, path).toBe(403);
      expect(refused.headers.get("X-Error-Code"), path).toBe("origin_not_allowed");
    }
  });

  it("still obeys its scopes and the tenant's quota from an allowed origin", async () => {
    const scoped = await boundKey(`scopes ${metering}`, { scopes: ["infer:another-model"] });
    const response = await fromOrigin(scoped.key, SHOP);
    expect([response.status, response.headers.get("X-Error-Code")]).toEqual([403, "insufficient_scope"]);

    const { key } = await boundKey(`quota ${metering}`, {}, 3);
    const statuses: (string | null)[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await fromOrigin(key, SHOP, scaleRequest(1, 300 + i))).headers.get("X-Error-Code"));
    expect(statuses).toEqual([null, null, null, "quota_exceeded", "quota_exceeded"]);
  });

  it("takes new origins through PATCH /admin/keys/{id} (within the lease TTL when leased), and null unbinds it", async () => {
    const { key, id, tenant } = await boundKey(`patch ${metering}`);
    expect((await fromOrigin(key, SHOP, scaleRequest(1, 900))).status).toBe(200);
    const patched = await json(
      admin(`/admin/keys/${id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ allowedOrigins: ["https://other.example"] }),
      }),
    );
    expect(patched.allowedOrigins).toEqual(["https://other.example"]);
    const refusedAfter = await eventually(
      async (i) => (await fromOrigin(key, SHOP, scaleRequest(1, 910 + i))).status === 403,
    );
    expect(refusedAfter).toBe(true);
    expect((await fromOrigin(key, "https://other.example", scaleRequest(1, 930))).status).toBe(200);

    await admin(`/admin/keys/${id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ allowedOrigins: null, name: "unbound" }),
    });
    expect(await eventually(async (i) => (await fromOrigin(key, null, scaleRequest(1, 940 + i))).status === 200)).toBe(
      true,
    );
    const listed = await json(admin(`/admin/tenants/${tenant.id}/keys`));
    expect(listed.keys.find((k: { id: string }) => k.id === id)).toMatchObject({
      name: "unbound",
      allowedOrigins: null,
    });
  });
});

describe("allowedOrigins entries", () => {
  it("are origins as browsers send them: URL parsing's own origin, or https://*. and a domain", async () => {
    const tenant = await createTenant({ name: "entries", limits: { requestsPerMinute: 10, monthlyUnits: 10 } });
    const create = (allowedOrigins: unknown) =>
      admin(`/admin/tenants/${tenant.id}/keys`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "k", allowedOrigins }),
      });
    const good = [
      "https://shop.example",
      "http://localhost:5173",
      "https://*.shop.example",
      "https://*.a.b.example:8443",
    ];
    for (const entry of good) {
      expect(new URL(entry.replace("*.", "x.")).origin, entry).toBe(entry.replace("*.", "x."));
      expect((await create([entry])).status, entry).toBe(201);
    }
    const bad = [
      "https://shop.example/",
      "https://shop.example/path",
      "https://Shop.example",
      "https://shop.example:443",
      "*",
      "https://*.example",
      "https://*shop.example",
      "https://a.*.shop.example",
    ];
    for (const entry of bad) {
      if (!entry.includes("*") && URL.canParse(entry)) expect(new URL(entry).origin, entry).not.toBe(entry);
      const response = await create([entry]);
      expect([response.status, response.headers.get("X-Error-Code")], entry).toEqual([400, "invalid_request"]);
    }
    // origins of other schemes exist, but no browser page calls from them
    for (const entry of ["ftp://shop.example", "null", "file:///index.html"])
      expect((await create([entry])).status, entry).toBe(400);
    expect((await create([])).status).toBe(400);
    expect((await create(Array.from({ length: 33 }, (_, i) => `https://s${i}.example`))).status).toBe(400);
  });
});

/** Retries `check` (with a fresh request index) for up to two lease TTLs: leased isolates see key changes within one. */
async function eventually(check: (attempt: number) => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 2_500;
  for (let attempt = 0; ; attempt++) {
    if (await check(attempt)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
