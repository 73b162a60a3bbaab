import { beforeAll, describe, expect, it } from "vitest";
import { METERED_MODEL, scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, createKey, createTenant, json, withKey } from "./support/worker";

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
    for (let i = 0; i < 3; i++) {
      const again = await withKey(key, infer, withIdempotency("retry-1", scaleRequest(5)));
      expect(again.status).toBe(200);
      expect(again.headers.get("Idempotent-Replayed")).toBe("true");
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(firstBody);
    }
    const report = await json(await admin(`/admin/tenants/${tenantId}/usage`));
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
    const report = await json(await admin(`/admin/tenants/${tenantId}/usage`));
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
});
