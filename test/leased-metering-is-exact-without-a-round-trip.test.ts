/**
 * Leased metering: an isolate admits a leased tenant's warm requests from a lease of quota and rate tokens, with no
 * Durable Object call on the response's path, and yet the ledger equals the answers exactly, the quota is never
 * passed, a usage batch sent twice counts once, and revocations and limit changes take effect within the lease
 * TTL. What an isolate that died never reported is charged as unsettled, as in exact mode, and refundable.
 * The tenant's object is driven directly (as an isolate would) where the test plays the isolate.
 */
import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import { hashKey } from "../src/tenancy/keys";
import { LEASE_TTL_MS } from "../src/tenancy/lease-ledger";
import type { LeaseGrant } from "../src/tenancy/metering-types";
import { leasedTenant, metering, send, untilLeased } from "./support/leases";
import {
  beginDirectly,
  inFlight,
  METERED_MODEL,
  scaleRequest,
  settledUsage,
  uploadMeteredModel,
} from "./support/tenancy";
import { admin, createKey, createTenant, json } from "./support/worker";

beforeAll(async () => {
  await uploadMeteredModel();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const INFER = `/v2/models/${METERED_MODEL}/infer`;

describe("leased metering", () => {
  it("admits warm requests with no blocking call, and the ledger equals the answers (cache hits included)", async () => {
    const { tenant, key } = await leasedTenant("leased warm");
    expect(tenant.metering).toBe("leased");
    const modes: { mode: string; blocking: number }[] = [];
    for (let i = 0; i < 40; i++) modes.push(metering(await send(key, scaleRequest(2, 1000 + i))));
    expect(modes[0]!.mode).toBe("exact"); // the first request brings the lease
    const warm = modes.slice(1);
    expect(warm.filter((m) => m.blocking === 0).length).toBeGreaterThanOrEqual(warm.length - 1);
    // an identical request again is a cache hit, charged from the lease too
    const hit = await send(key, scaleRequest(2, 1000));
    expect([hit.headers.get("X-Cache"), hit.headers.get("X-Units")]).toEqual(["HIT", "2"]);

    const report = await settledUsage(tenant.id);
    expect(report.totals).toMatchObject({
      requests: 41,
      units: 82,
      cachedRequests: 1,
      cachedUnits: 2,
      unsettledUnits: 0,
    });
    expect(report.month).toMatchObject({ committedUnits: 82, reservedUnits: 0, leasedUnits: 0 });
  });

  it("120 requests, 16 in flight, against a quota of 60, with a lease held, give exactly 60 answers and a ledger of 60", async () => {
    const { tenant, key } = await leasedTenant("leased quota", { requestsPerMinute: 1_000_000, monthlyUnits: 60 });
    const warmed = await untilLeased(key);
    const responses = await inFlight(16, 120, (i) => send(key, scaleRequest(1, 5000 + i)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(60 - warmed);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 + warmed);
    expect(responses.find((r) => r.status === 429)!.headers.get("X-Error-Code")).toBe("quota_exceeded");
    const report = await settledUsage(tenant.id);
    expect(report.totals).toMatchObject({ requests: 60, units: 60, unsettledUnits: 0 });
    expect(report.month).toMatchObject({ committedUnits: 60, reservedUnits: 0, limit: 60 });
  });

  it("a burst with the tenant's object 120 ms away (DO_DELAY_MS): one request waits for the first lease's renewal, none after", async () => {
    const { tenant, key } = await leasedTenant("leased burst far away");
    // the Worker's own application with the tenant's object a continent away; waitUntil work is awaited only at the
    // end, so renewals run beside the burst as they do in a Worker
    const app = createApp();
    const far = { ...env, DO_DELAY_MS: "120" };
    const contexts: ExecutionContext[] = [];
    const modes: { mode: string; blocking: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const request = scaleRequest(1, 20_000 + i);
      const headers = new Headers(request.headers);
      headers.set("Authorization", `Bearer ${key}`);
      const ctx = createExecutionContext();
      contexts.push(ctx);
      const response = await app.fetch(new Request(`http://edge-maas.test${INFER}`, { ...request, headers }), far, ctx);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      modes.push(metering(response));
    }
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(modes[0]).toEqual({ mode: "exact", blocking: 1 }); // no lease yet: the first request brings one
    // the first lease was sized before the burst began: the burst may use it up while its renewal is on the way
    const waited = modes.slice(1).filter((m) => m.blocking > 0);
    expect(waited.length).toBeLessThanOrEqual(1);
    const report = await settledUsage(tenant.id);
    expect(report.totals).toMatchObject({ requests: 60, units: 60, unsettledUnits: 0 });
  });

  it("a lease expires: its last batch arrives after the TTL, unused units go back, and the next request is admitted exactly", async () => {
    const { tenant, key } = await leasedTenant("leased expiry", { requestsPerMinute: 1_000, monthlyUnits: 1_000 });
    const warmed = await untilLeased(key);
    const held = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(held.month.leasedUnits).toBeGreaterThan(0);
    await sleep(LEASE_TTL_MS + 300);
    const report = await settledUsage(tenant.id);
    expect(report.month).toMatchObject({ committedUnits: warmed, reservedUnits: 0, leasedUnits: 0 });
    expect(metering(await send(key, scaleRequest(1, 9000)))).toEqual({ mode: "exact", blocking: 1 });
  });

  it("a revoked key is refused within the lease TTL, and a lowered quota holds once the TTL has passed", async () => {
    const { tenant, key, keyId } = await leasedTenant("leased revoke", {
      requestsPerMinute: 100_000,
      monthlyUnits: 1_000,
    });
    const other = await createKey(tenant.id);
    await untilLeased(key);
    await untilLeased(other.key, 100);
    expect((await admin(`/admin/keys/${keyId}`, { method: "DELETE" })).status).toBe(200);
    const revokedAt = Date.now(); // any lease that carries the key was asked for before this
    const after: { startedAt: number; status: number; code: string | null }[] = [];
    while (Date.now() - revokedAt < LEASE_TTL_MS + 500) {
      const startedAt = Date.now();
      const response = await send(key, scaleRequest(1, 200 + after.length));
      after.push({ startedAt, status: response.status, code: response.headers.get("X-Error-Code") });
      await sleep(20);
    }
    expect(after.filter((r) => r.status === 200 && r.startedAt > revokedAt + LEASE_TTL_MS)).toEqual([]);
    expect(after.at(-1)).toMatchObject({ status: 401, code: "revoked_key" });
    // the other key of the tenant keeps working
    expect((await send(other.key, scaleRequest(1, 300))).status).toBe(200);

    // lower the quota to what is used plus 5: once the TTL has passed, exactly 5 more are admitted
    const used = (await settledUsage(tenant.id)).month.committedUnits;
    await admin(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ limits: { monthlyUnits: used + 5 } }),
    });
    await sleep(LEASE_TTL_MS + 300);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send(other.key, scaleRequest(1, 400 + i))).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect((await settledUsage(tenant.id)).month).toMatchObject({ committedUnits: used + 5, reservedUnits: 0 });
  });
});

describe("the tenant object's side of leases", () => {
  async function lease(name: string, limits = { requestsPerMinute: 1_000, monthlyUnits: 1_000 }) {
    const { tenant, key, keyId } = await leasedTenant(name, limits);
    const keyHashes = [await hashKey(key)];
    const leasing = { want: { holder: "test isolate", units: 100, tokens: 100, keyHashes } };
    const { stub, result: begun } = await beginDirectly(tenant.id, key, 1, { leasing });
    if (begun.kind !== "admitted" || !begun.lease) throw new Error(`no lease: ${JSON.stringify(begun)}`);
    const settle = await stub.complete(begun.eventId, { kind: "commit", cached: false });
    expect(settle).toBe(true);
    return { tenant, stub, keyId, grant: begun.lease as LeaseGrant };
  }

  const line = (keyId: string, units: number, requests = units) => ({
    keyId,
    model: METERED_MODEL,
    version: "1",
    cached: false,
    requests,
    units,
    at: Date.now(),
  });

  it("carves leases from what is left (a quarter at most), never from beyond the quota", async () => {
    const { tenant, stub, grant } = await lease("carved", { requestsPerMinute: 1_000, monthlyUnits: 41 });
    // 41 - 1 (the admitted request) = 40 left: the lease takes at most 10
    expect(grant.units).toBe(10);
    expect(grant.quota.remaining).toBe(30);
    expect(grant.keys).toHaveLength(1);
    const report = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(report.month).toMatchObject({ committedUnits: 1, reservedUnits: 10, leasedUnits: 10 });
    const news = await stub.sync({
      want: { holder: "another", units: 1000, tokens: 1000, keyHashes: grant.keys.map((k) => k.hash) },
    });
    expect(news.lease!.units).toBe(7); // a quarter of the 30 left
  });

  it("a usage batch sent twice is counted once, and the last batch gives the unused units and tokens back", async () => {
    const { tenant, stub, keyId, grant } = await lease("batches");
    const batch = { id: crypto.randomUUID(), leaseId: grant.id, lines: [line(keyId, 3)], final: false };
    await stub.sync({ batches: [batch] });
    await stub.sync({ batches: [batch] }); // retried: the answer to the first was lost
    let report = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(report.totals).toMatchObject({ requests: 4, units: 4 });
    expect(report.month).toMatchObject({ committedUnits: 4, reservedUnits: grant.units - 3 });

    const last = { id: crypto.randomUUID(), leaseId: grant.id, lines: [line(keyId, 2)], final: true };
    await stub.sync({ batches: [last, last] });
    report = await settledUsage(tenant.id, 0);
    expect(report.totals).toMatchObject({ requests: 6, units: 6 });
    expect(report.month).toMatchObject({ committedUnits: 6, reservedUnits: 0, leasedUnits: 0 });
  });

  it("an isolate that dies holding a lease: what it never reported is charged unsettled after the grace, and refundable", async () => {
    const { tenant, stub, keyId, grant } = await lease("dead isolate");
    await stub.sync({
      batches: [{ id: crypto.randomUUID(), leaseId: grant.id, lines: [line(keyId, 2)], final: false }],
    });
    // ...and nothing more: the isolate is gone. Its lease expired long ago.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE leases SET expires_at = expires_at - 3600000");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const unreported = grant.units - 2;
    const report = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(report.month).toMatchObject({
      committedUnits: 1 + 2 + unreported,
      reservedUnits: 0,
      leasedUnits: 0,
      unsettledUnits: unreported,
    });
    expect(report.rows).toContainEqual(
      expect.objectContaining({ model: "*", keyId: "*", units: unreported, unsettledUnits: unreported }),
    );
    const { charges } = await json(admin(`/admin/tenants/${tenant.id}/unsettled`));
    expect(charges).toMatchObject([{ keyId: "*", model: "*", units: unreported }]);

    // a batch arriving late moves its units from the unsettled charge to their own lines
    await stub.sync({
      batches: [{ id: crypto.randomUUID(), leaseId: grant.id, lines: [line(keyId, 1)], final: true }],
    });
    const late = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(late.month).toMatchObject({ committedUnits: 1 + 2 + unreported, unsettledUnits: unreported - 1 });

    const refund = await admin(`/admin/tenants/${tenant.id}/refunds`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ eventId: charges[0].id }),
    });
    expect(refund.status).toBe(200);
    expect((await json(admin(`/admin/tenants/${tenant.id}/usage`))).month).toMatchObject({
      committedUnits: 1 + 2 + 1,
      unsettledUnits: 0,
    });
  });

  it("no lease for a tenant in exact mode, for a revoked key, or when too little is left", async () => {
    const exact = await createTenant({ name: "exact", limits: { requestsPerMinute: 1_000, monthlyUnits: 1_000 } });
    const { key } = await createKey(exact.id);
    const keyHash = await hashKey(key);
    const want = { holder: "h", units: 10, tokens: 10, keyHashes: [keyHash] };
    const exactStub = env.TENANTS.get(env.TENANTS.idFromName(exact.id));
    expect(await exactStub.sync({ want })).toEqual({ metering: "exact" });

    const { tenant, stub, keyId, grant } = await lease("little left", { requestsPerMinute: 1_000, monthlyUnits: 5 });
    expect(grant.units).toBe(1); // floor(4 / 4)
    expect((await stub.sync({ want: { ...want, keyHashes: grant.keys.map((k) => k.hash) } })).lease).toBeUndefined();
    await admin(`/admin/keys/${keyId}`, { method: "DELETE" });
    await admin(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ limits: { monthlyUnits: 1000 } }),
    });
    expect((await stub.sync({ want: { ...want, keyHashes: grant.keys.map((k) => k.hash) } })).lease).toBeUndefined();
  });
});
