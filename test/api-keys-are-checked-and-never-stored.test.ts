import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { METERED_MODEL, scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, anonymous, createKey, createTenant, json, withKey } from "./support/worker";

const infer = `/v2/models/${METERED_MODEL}/infer`;
let tenantId: string;
let key: string;

beforeAll(async () => {
  await uploadMeteredModel();
  tenantId = (await createTenant({ name: "keys", limits: { requestsPerMinute: 10_000, monthlyUnits: 10_000 } })).id;
  key = (await createKey(tenantId)).key;
});

async function rejection(response: Response): Promise<{ status: number; code: string | null }> {
  await response.arrayBuffer();
  return { status: response.status, code: response.headers.get("X-Error-Code") };
}

describe("API keys", () => {
  it("a valid key calls the model and gets the remaining limits", async () => {
    const response = await withKey(key, infer, scaleRequest(3));
    expect(response.status).toBe(200);
    expect((await json(response)).outputs[0].data).toEqual([2, 4, 6]);
    expect(response.headers.get("X-Units")).toBe("3");
    expect(response.headers.get("X-Quota-Limit")).toBe("10000");
    expect(Number(response.headers.get("X-Quota-Remaining"))).toBeLessThanOrEqual(9997);
    expect(response.headers.get("RateLimit-Limit")).toBe("10000");
  });

  it("each reason a key is refused has its own 401 code", async () => {
    const expired = await createKey(tenantId, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const revoked = await createKey(tenantId);
    expect((await admin(`/admin/keys/${revoked.id}`, { method: "DELETE" })).status).toBe(200);
    const unknown = `emk_live_${"A".repeat(43)}`;

    expect(await rejection(await anonymous(infer, scaleRequest()))).toEqual({ status: 401, code: "missing_key" });
    expect(await rejection(await withKey("emk_live_short", infer, scaleRequest()))).toEqual({
      status: 401,
      code: "malformed_key",
    });
    expect(
      await rejection(await anonymous(infer, { ...scaleRequest(), headers: { Authorization: "Basic abc" } })),
    ).toEqual({ status: 401, code: "malformed_key" });
    expect(await rejection(await withKey(unknown, infer, scaleRequest()))).toEqual({
      status: 401,
      code: "unknown_key",
    });
    expect(await rejection(await withKey(expired.key, infer, scaleRequest()))).toEqual({
      status: 401,
      code: "expired_key",
    });
    expect(await rejection(await withKey(revoked.key, infer, scaleRequest()))).toEqual({
      status: 401,
      code: "revoked_key",
    });
    expect(await rejection(await withKey(revoked.key, `/v2/models/${METERED_MODEL}`))).toEqual({
      status: 401,
      code: "revoked_key",
    });
    const body = await json(await withKey(unknown, infer, scaleRequest()));
    expect(body).toEqual({ error: "the API key is not valid" });
  });

  it("a key without the scope gets 403, a per-model scope opens only that model", async () => {
    const usageOnly = await createKey(tenantId, { scopes: ["usage:read"] });
    expect(await rejection(await withKey(usageOnly.key, infer, scaleRequest()))).toEqual({
      status: 403,
      code: "insufficient_scope",
    });
    const perModel = await createKey(tenantId, { scopes: [`infer:${METERED_MODEL}`] });
    expect((await withKey(perModel.key, infer, scaleRequest())).status).toBe(200);
    expect(await rejection(await withKey(perModel.key, "/v1/usage"))).toEqual({
      status: 403,
      code: "insufficient_scope",
    });
    const listed = await json(await withKey(perModel.key, "/v1/models"));
    expect(listed.data.map((m: { id: string }) => m.id)).toEqual([METERED_MODEL]);
  });

  it("revocation takes effect on the very next request", async () => {
    const doomed = await createKey(tenantId);
    expect((await withKey(doomed.key, infer, scaleRequest())).status).toBe(200);
    const revoked = await json(await admin(`/admin/keys/${doomed.id}`, { method: "DELETE" }));
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect(await rejection(await withKey(doomed.key, infer, scaleRequest()))).toEqual({
      status: 401,
      code: "revoked_key",
    });
    expect((await admin("/admin/keys/key_00000000000000000000000000000000", { method: "DELETE" })).status).toBe(404);
  });

  it("admin schemas are strict", async () => {
    const post = (path: string, body: unknown) =>
      admin(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(
      (await post("/admin/tenants", { name: "x", limits: { requestsPerMinute: 1, monthlyUnits: 1 }, plan: "gold" }))
        .status,
    ).toBe(400);
    expect(
      (await post("/admin/tenants", { name: "x", limits: { requestsPerMinute: 0, monthlyUnits: 1 } })).status,
    ).toBe(400);
    expect((await post(`/admin/tenants/${tenantId}/keys`, { name: "k", scopes: ["admin"] })).status).toBe(400);
    expect((await post(`/admin/tenants/${tenantId}/keys`, { name: "k", role: "x" })).status).toBe(400);
    expect((await post("/admin/tenants/ten_ffffffffffffffffffffffffffffffff/keys", { name: "k" })).status).toBe(404);
  });

  it("no plaintext key is stored in KV or in any Durable Object table", async () => {
    const plaintexts = [key, (await createKey(tenantId)).key];
    const seen: string[] = [];
    for (const namespace of [env.KEYS, env.CACHE]) {
      for (const { name } of (await namespace.list()).keys) seen.push(name, (await namespace.get(name)) ?? "");
    }
    const dump = (sql: SqlStorage) => {
      const tables = sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        )
        .toArray();
      for (const { name } of tables)
        for (const row of sql.exec(`SELECT * FROM "${name}"`).toArray())
          seen.push(JSON.stringify(row, (_, v) => (v instanceof ArrayBuffer ? new TextDecoder().decode(v) : v)));
    };
    await runInDurableObject(env.TENANTS.get(env.TENANTS.idFromName(tenantId)), (_instance, state) =>
      dump(state.storage.sql),
    );
    await runInDurableObject(env.DIRECTORY.get(env.DIRECTORY.idFromName("directory")), (_instance, state) =>
      dump(state.storage.sql),
    );
    const everything = seen.join("\n");
    expect(everything.length).toBeGreaterThan(100);
    expect(everything).toContain(plaintexts[0]!.slice(0, 15));
    for (const plaintext of plaintexts) expect(everything).not.toContain(plaintext);
    const listed = await json(await admin(`/admin/tenants/${tenantId}/keys`));
    expect(JSON.stringify(listed)).not.toContain(plaintexts[1]);
  });
});

describe("key records", () => {
  it("show exactly the documented fields", async () => {
    const fields = [
      "allowedOrigins",
      "createdAt",
      "expiresAt",
      "id",
      "lastUsedAt",
      "name",
      "prefix",
      "requestsPerMinute",
      "revokedAt",
      "scopes",
      "tenantId",
    ];
    const created = await createKey(tenantId, { name: "fields" });
    // the plaintext `key` only in the answer to its creation
    expect(Object.keys(created).sort()).toEqual([...fields, "key"].sort());
    const listed = (await json(await admin(`/admin/tenants/${tenantId}/keys`))).keys;
    expect(Object.keys(listed[0]).sort()).toEqual(fields);
  });
});
