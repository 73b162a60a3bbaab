import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { beginDirectly, METERED_MODEL, scaleRequest, settledUsage, uploadMeteredModel } from "./support/tenancy";
import { createKey, createTenant, withKey } from "./support/worker";

const infer = `/v2/models/${METERED_MODEL}/infer`;
let tenantId: string;
let key: string;

beforeAll(async () => {
  await uploadMeteredModel();
  tenantId = (await createTenant({ name: "idempotency", limits: { requestsPerMinute: 1000, monthlyUnits: 1000 } })).id;
  key = (await createKey(tenantId)).key;
});

const withIdempotency = (idempotencyKey: string, init: RequestInit): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), "Idempotency-Key": idempotencyKey },
});

describe("Idempotency-Key", () => {
  it("a retry with the same key and body returns the first result, byte for byte, and is charged once", async () => {
    const first = await withKey(key, infer, withIdempotency("retry-1", scaleRequest(5)));
    const firstBody = new Uint8Array(await first.arrayBuffer());
    expect(first.status).toBe(200);
    await settledUsage(tenantId); // the response is stored with its charge, after the response
    for (let i = 0; i < 3; i++) {
      const again = await withKey(key, infer, withIdempotency("retry-1", scaleRequest(5)));
      expect(again.status).toBe(200);
      expect(again.headers.get("Idempotent-Replayed")).toBe("true");
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(firstBody);
    }
    const report = await settledUsage(tenantId);
    expect(report.totals).toMatchObject({ requests: 1, units: 5 });
  });

  it("concurrent duplicates: one runs, the others wait their turn (409) or replay, and one charge is recorded", async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => withKey(key, infer, withIdempotency("burst", scaleRequest(1, 7)))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    const report = await settledUsage(tenantId);
    expect(report.totals.units).toBe(5 + 1);
  });

  it("the same key with a different body is 422, and a bad key value is 400", async () => {
    await withKey(key, infer, withIdempotency("retry-2", scaleRequest(1, 1)));
    const different = await withKey(key, infer, withIdempotency("retry-2", scaleRequest(1, 2)));
    expect(different.status).toBe(422);
    expect(different.headers.get("X-Error-Code")).toBe("idempotency_key_reused");
    const bad = await withKey(key, infer, withIdempotency("has space", scaleRequest()));
    expect(bad.status).toBe(400);
  });

  it("a failed first attempt is not charged and its key can be retried", async () => {
    const broken = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [2], data: [1] }] }),
    };
    expect((await withKey(key, infer, withIdempotency("retry-3", broken))).status).toBe(400);
    expect((await withKey(key, infer, withIdempotency("retry-3", scaleRequest(2)))).status).toBe(200);
  });

  it("a retry that arrives before the first response is stored gets 409 idempotency_in_progress with Retry-After", async () => {
    const tenant = await createTenant({ name: "in progress", limits: { requestsPerMinute: 1000, monthlyUnits: 100 } });
    const { key: own } = await createKey(tenant.id);
    const slow = { idempotency: { key: "slow", fingerprint: "f" } };
    // the first attempt is admitted and still running (its settlement has not landed)
    expect((await beginDirectly(tenant.id, own, 1, slow)).result.kind).toBe("admitted");
    const retry = await beginDirectly(tenant.id, own, 1, slow);
    expect(retry.result).toMatchObject({ kind: "rejected", code: "idempotency_in_progress", retryAfterSeconds: 1 });
  });

  it("a first attempt charged unsettled (its Worker died) is refunded when its retry runs: charged once", async () => {
    const tenant = await createTenant({ name: "died", limits: { requestsPerMinute: 1000, monthlyUnits: 100 } });
    const { key: own } = await createKey(tenant.id);
    const request = withIdempotency("order-7", scaleRequest(3, 70));
    const idempotency = { key: "order-7", fingerprint: await fingerprintOf(request) };
    const { stub, result } = await beginDirectly(tenant.id, own, 3, { idempotency });
    expect(result.kind).toBe("admitted");
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE events SET created_at = created_at - 3600000 WHERE status = 'pending'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await settledUsage(tenant.id)).month).toMatchObject({ committedUnits: 3, unsettledUnits: 3 });

    const retried = await withKey(own, infer, request);
    expect(retried.status).toBe(200);
    await retried.arrayBuffer();
    const report = await settledUsage(tenant.id);
    expect(report.month).toMatchObject({ committedUnits: 3, unsettledUnits: 0, reservedUnits: 0 });
    expect(report.totals).toMatchObject({ requests: 1, units: 3, unsettledRequests: 0 });
  });
});

/** The fingerprint the Worker computes for an idempotent request (method, path, content type, body). */
async function fingerprintOf(init: RequestInit): Promise<string> {
  const type = new Headers(init.headers).get("Content-Type") ?? "";
  const bytes = new TextEncoder().encode(`POST ${infer}\n${type}\n${init.body as string}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
