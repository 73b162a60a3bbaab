import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import {
  beginDirectly,
  counts,
  inFlight,
  METERED_MODEL,
  scaleRequest,
  settledUsage,
  uploadMeteredModel,
} from "./support/tenancy";
import { admin, call, createKey, createTenant, json, withKey } from "./support/worker";

const infer = `/v2/models/${METERED_MODEL}/infer`;

beforeAll(async () => {
  await uploadMeteredModel();
});

const usage = settledUsage;

describe("limits", () => {
  it("200 requests, 16 in flight, against a quota of 100 give exactly 100 successes and 100 × 429, and the ledger shows 100", async () => {
    const tenant = await createTenant({ name: "quota", limits: { requestsPerMinute: 1_000_000, monthlyUnits: 100 } });
    const { key } = await createKey(tenant.id);
    const responses = await inFlight(16, 200, (i) => withKey(key, infer, scaleRequest(1, i)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100);
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.headers.get("X-Error-Code")).toBe("quota_exceeded");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.headers.get("X-Quota-Remaining")).toBe("0");
    const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get("X-Quota-Remaining")));
    expect(remaining.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await Promise.all(responses.map((r) => r.arrayBuffer()));

    const report = await usage(tenant.id);
    expect(report.totals).toEqual(counts({ requests: 100, units: 100 }));
    expect(report.month).toMatchObject({ committedUnits: 100, reservedUnits: 0, limit: 100 });
  });

  it("units are batch items: a request needing more than what is left is refused whole, and raising the limit takes effect at once", async () => {
    const tenant = await createTenant({ name: "units", limits: { requestsPerMinute: 1000, monthlyUnits: 10 } });
    const { key } = await createKey(tenant.id);
    expect((await withKey(key, infer, scaleRequest(8))).status).toBe(200);
    const over = await withKey(key, infer, scaleRequest(3));
    expect(over.status).toBe(429);
    expect((await json(over)).error).toContain("2 left, this request needs 3");
    expect((await withKey(key, infer, scaleRequest(2))).status).toBe(200);
    await admin(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ limits: { monthlyUnits: 20 } }),
    });
    expect((await withKey(key, infer, scaleRequest(3))).status).toBe(200);
    expect((await usage(tenant.id)).totals.units).toBe(13);
  });

  it("the rate limit answers 429 with Retry-After and RateLimit headers, and refills", async () => {
    const tenant = await createTenant({ name: "rate", limits: { requestsPerMinute: 3, monthlyUnits: 1000 } });
    const { key } = await createKey(tenant.id);
    const first = await withKey(key, infer, scaleRequest());
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Limit")).toBe("3");
    expect(first.headers.get("RateLimit-Remaining")).toBe("2");
    expect((await withKey(key, infer, scaleRequest())).status).toBe(200);
    expect((await withKey(key, infer, scaleRequest())).status).toBe(200);
    const limited = await withKey(key, infer, scaleRequest());
    expect(limited.status).toBe(429);
    expect(limited.headers.get("X-Error-Code")).toBe("rate_limited");
    expect(limited.headers.get("RateLimit-Remaining")).toBe("0");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("Retry-After"))).toBeLessThanOrEqual(20);
    expect((await usage(tenant.id)).totals.requests).toBe(3);
  });

  it("requests rejected before inference are not charged", async () => {
    const tenant = await createTenant({
      name: "free rejections",
      limits: { requestsPerMinute: 1000, monthlyUnits: 1000 },
    });
    const { key } = await createKey(tenant.id);
    const bad = [
      withKey(key, infer, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" }),
      withKey(key, infer, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ inputs: [{ name: "nope", datatype: "FP32", shape: [1], data: [1] }] }),
      }),
      withKey(key, "/v2/models/no-such-model/infer", scaleRequest()),
    ];
    expect((await Promise.all(bad)).map((r) => r.status)).toEqual([400, 400, 404]);
    expect((await withKey(key, infer, scaleRequest(2))).status).toBe(200);
    const report = await usage(tenant.id);
    expect(report.totals).toMatchObject({ requests: 1, units: 2 });
    expect(report.month.reservedUnits).toBe(0);
  });

  it("usage is grouped by model and key, by hour or day, and readable with the tenant's own key", async () => {
    const tenant = await createTenant({ name: "usage", limits: { requestsPerMinute: 1000, monthlyUnits: 1000 } });
    const a = await createKey(tenant.id, { name: "a" });
    const b = await createKey(tenant.id, { name: "b" });
    await withKey(a.key, infer, scaleRequest(2));
    await withKey(a.key, infer, scaleRequest(1));
    await withKey(b.key, infer, scaleRequest(4));
    const own = await json(await withKey(b.key, "/v1/usage?granularity=hour"));
    expect(own.tenantId).toBe(tenant.id);
    const byKey = Object.fromEntries(
      own.rows.map((r: { keyId: string; units: number; requests: number }) => [r.keyId, [r.requests, r.units]]),
    );
    expect(byKey).toEqual({ [a.id]: [2, 3], [b.id]: [1, 4] });
    expect(
      own.rows.every(
        (r: { model: string; start: string }) => r.model === METERED_MODEL && r.start.endsWith(":00:00.000Z"),
      ),
    ).toBe(true);
    expect((await withKey(a.key, "/v1/usage?granularity=minute")).status).toBe(400);
    expect((await withKey(a.key, "/v1/usage?from=2026-01-01&to=2025-01-01")).status).toBe(400);
    expect((await call("/v1/usage")).status).toBe(200);
  });

  it("a reservation its Worker never settles is charged as unsettled by the tenant's alarm, and an operator can refund it", async () => {
    const tenant = await createTenant({ name: "unsettled", limits: { requestsPerMinute: 1000, monthlyUnits: 10 } });
    const { key } = await createKey(tenant.id);
    // a Worker admits a request and dies before its settlement is sent: the response may have left
    const { stub, result } = await beginDirectly(tenant.id, key, 4);
    expect(result.kind).toBe("admitted");
    expect((await json(admin(`/admin/tenants/${tenant.id}/usage`))).month).toMatchObject({
      reservedUnits: 4,
      committedUnits: 0,
    });
    expect((await withKey(key, infer, scaleRequest(7))).status).toBe(429);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE events SET created_at = created_at - 3600000 WHERE status = 'pending'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const charged = await usage(tenant.id);
    expect(charged.month).toMatchObject({ reservedUnits: 0, committedUnits: 4, unsettledUnits: 4 });
    expect(charged.totals).toMatchObject({ requests: 1, units: 4, unsettledRequests: 1, unsettledUnits: 4 });
    const { charges } = await json(admin(`/admin/tenants/${tenant.id}/unsettled`));
    expect(charges).toMatchObject([{ model: METERED_MODEL, units: 4 }]);
    expect((await withKey(key, infer, scaleRequest(7))).status).toBe(429);

    const refund = (eventId: string) =>
      admin(`/admin/tenants/${tenant.id}/refunds`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ eventId, reason: "the Worker died" }),
      });
    expect((await refund(charges[0].id)).status).toBe(200);
    expect((await refund(charges[0].id)).status).toBe(409);
    expect((await refund("no-such-charge")).status).toBe(404);
    const refunded = await usage(tenant.id);
    expect(refunded.month).toMatchObject({ reservedUnits: 0, committedUnits: 0, unsettledUnits: 0 });
    expect(refunded.totals.requests).toBe(0);
    expect((await json(admin(`/admin/tenants/${tenant.id}/unsettled`))).charges).toEqual([]);
    expect((await withKey(key, infer, scaleRequest(7))).status).toBe(200);
  });
});
