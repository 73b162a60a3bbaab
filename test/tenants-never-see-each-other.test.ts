import { beforeAll, describe, expect, it } from "vitest";
import { METERED_MODEL, scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, createKey, createTenant, json, withKey } from "./support/worker";

let a: { id: string; key: string };
let b: { id: string; key: string };
const PRIVATE = "tenant-a-private";

beforeAll(async () => {
  await uploadMeteredModel();
  const limits = { requestsPerMinute: 1000, monthlyUnits: 1000 };
  const ta = await createTenant({ name: "A", limits });
  const tb = await createTenant({ name: "B", limits });
  a = { id: ta.id, key: (await createKey(ta.id)).key };
  b = { id: tb.id, key: (await createKey(tb.id)).key };
  await uploadMeteredModel(PRIVATE, { task: "tensor", visibility: "private", owner: a.id });
});

describe("tenant isolation", () => {
  it("the owner uses its private model", async () => {
    expect((await withKey(a.key, `/v2/models/${PRIVATE}/infer`, scaleRequest())).status).toBe(200);
    expect((await withKey(a.key, `/v2/models/${PRIVATE}`)).status).toBe(200);
    const listed = await json(await withKey(a.key, "/v1/models"));
    expect(listed.data.map((m: { id: string }) => m.id)).toContain(PRIVATE);
  });

  it("another tenant can neither call, list nor learn of it: the same 404 as a model that does not exist", async () => {
    const paths = [
      `/v2/models/${PRIVATE}`,
      `/v2/models/${PRIVATE}/ready`,
      `/v2/models/${PRIVATE}/versions/1`,
      `/v1/models/${PRIVATE}`,
    ];
    for (const path of paths) {
      const hidden = await withKey(b.key, path);
      const missing = await withKey(b.key, path.replace(PRIVATE, "never-existed"));
      expect(hidden.status).toBe(404);
      expect((await hidden.text()).replace(PRIVATE, "X")).toBe((await missing.text()).replace("never-existed", "X"));
    }
    expect((await withKey(b.key, `/v2/models/${PRIVATE}/infer`, scaleRequest())).status).toBe(404);
    const listed = await json(await withKey(b.key, "/v1/models"));
    const names = listed.data.map((m: { id: string }) => m.id);
    expect(names).toContain(METERED_MODEL);
    expect(names).not.toContain(PRIVATE);
    const index = await json(await withKey(b.key, "/v2/repository/index", { method: "POST" }));
    expect(index.map((entry: { name: string }) => entry.name)).toContain(METERED_MODEL);
    expect(index.map((entry: { name: string }) => entry.name)).not.toContain(PRIVATE);
  });

  it("usage never mixes tenants", async () => {
    await withKey(b.key, `/v2/models/${METERED_MODEL}/infer`, scaleRequest(7));
    const usageA = await json(await withKey(a.key, "/v1/usage"));
    const usageB = await json(await withKey(b.key, "/v1/usage"));
    expect(usageA.totals.units).toBe(1);
    expect(usageB.totals.units).toBe(7);
    expect(usageA.rows.map((r: { model: string }) => r.model)).toEqual([PRIVATE]);
    expect((await json(await admin(`/admin/tenants/${b.id}/usage`))).totals).toEqual(usageB.totals);
  });
});
