/**
 * A cache hit does no work, so metering admits and commits it in one call to the tenant's Durable Object: the
 * ledger records it committed and cached at once, with nothing left reserved. Hits are still refused for a key
 * that is revoked or a tenant over quota (and a refused hit costs nothing), and a request that shares an
 * identical request's run never inherits that request's refusal.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, createKey, createTenant, json, withKey } from "./support/worker";

const MODEL = "hit-charged-scale";
const infer = `/v2/models/${MODEL}/infer`;

beforeAll(async () => {
  await uploadMeteredModel(MODEL);
});

async function tenantWithKey(name: string, monthlyUnits: number) {
  const tenant = await createTenant({ name, limits: { requestsPerMinute: 1000, monthlyUnits } });
  return { tenant, key: (await createKey(tenant.id)).key };
}

async function events(tenantId: string) {
  const stub = env.TENANTS.get(env.TENANTS.idFromName(tenantId));
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ status: string; cached: number; units: number }>(
        "SELECT status, cached, units FROM events ORDER BY created_at",
      )
      .toArray(),
  );
}

/** KV writes land after the response; a second request is a hit once the entry is there. */
async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not reached");
}

describe("metered cache hits", () => {
  it("are committed and cached in the ledger at once, with the quota headers of a charge", async () => {
    const { tenant, key } = await tenantWithKey("one-step hits", 100);
    const miss = await withKey(key, infer, scaleRequest(3, 10));
    expect([miss.status, miss.headers.get("X-Cache")]).toEqual([200, "MISS"]);
    await miss.arrayBuffer();
    const hit = await until(
      async () => {
        const response = await withKey(key, infer, scaleRequest(3, 10));
        await response.arrayBuffer();
        return response;
      },
      (response) => response.headers.get("X-Cache") === "HIT",
    );
    expect(hit.headers.get("X-Units")).toBe("3");
    const ledger = await events(tenant.id);
    expect(ledger.at(-1)).toEqual({ status: "committed", cached: 1, units: 3 });
    expect(ledger.every((event) => event.status === "committed")).toBe(true);
    const { month } = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(month).toMatchObject({ committedUnits: 3 * ledger.length, reservedUnits: 0 });
    expect(Number(hit.headers.get("X-Quota-Remaining"))).toBe(100 - 3 * ledger.length);
  });

  it("are refused for a revoked key and over quota, and a refused hit costs nothing", async () => {
    const { tenant, key } = await tenantWithKey("refused hits", 4);
    const warm = await withKey(key, infer, scaleRequest(3, 20));
    await warm.arrayBuffer();
    await until(
      async () => (await env.CACHE.list({ prefix: "rc:" })).keys.length,
      (n) => n > 0,
    );
    // 3 of 4 units used: a 3-unit hit does not fit
    const over = await withKey(key, infer, scaleRequest(3, 20));
    expect([over.status, over.headers.get("X-Error-Code")]).toEqual([429, "quota_exceeded"]);
    expect((await events(tenant.id)).map((e) => e.status)).toEqual(["committed"]);

    const other = await createKey(tenant.id);
    expect((await admin(`/admin/keys/${other.id}`, { method: "DELETE" })).status).toBe(200);
    const revoked = await withKey(other.key, infer, scaleRequest(3, 20));
    expect([revoked.status, revoked.headers.get("X-Error-Code")]).toEqual([401, "revoked_key"]);
    const { month } = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(month).toMatchObject({ committedUnits: 3, reservedUnits: 0 });
  });

  it("a request sharing an identical request's run is served even when that request is refused", async () => {
    const broke = await tenantWithKey("broke", 1); // every 2-unit request is over quota
    const rich = await tenantWithKey("rich", 1000);
    const body = () => scaleRequest(2, 900 + Math.floor(Math.random() * 1e6));
    for (let round = 0; round < 5; round++) {
      const request = body();
      const [refused, served] = await Promise.all([
        withKey(broke.key, infer, request),
        withKey(rich.key, infer, request),
      ]);
      expect(refused.status).toBe(429);
      expect(served.status).toBe(200);
      await Promise.all([refused.arrayBuffer(), served.arrayBuffer()]);
    }
    expect(await events(broke.tenant.id)).toEqual([]);
    expect((await events(rich.tenant.id)).every((e) => e.status === "committed")).toBe(true);
  });
});
