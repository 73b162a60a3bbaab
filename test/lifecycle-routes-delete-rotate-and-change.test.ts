/**
 * The registry's and tenancy's lifecycle routes: an alias (never `default`) and an asset can be deleted, a version
 * an OCR pipeline names as a stage cannot (409); a deleted tenant's keys are refused from the next request and its
 * ledger comes back in the answer; a rotated key's old secret works through the grace period and not after; a key's
 * own rate limit holds under the tenant's in both metering modes; during an admin-token rotation both tokens work.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { admin, anonymous, createKey, createTenant, json, uploadModel, withKey } from "./support/worker";

const send = (method: string, path: string, body?: unknown) =>
  admin(path, {
    method,
    ...(body === undefined ? {} : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
  });
const inferScale = (key: string, model: string, reference = "") =>
  withKey(key, `/v2/models/${model}${reference ? `/versions/${reference}` : ""}/infer`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] }),
  });
const usageOf = (key: string) => withKey(key, "/v1/usage");
const limits = { requestsPerMinute: 1000, monthlyUnits: 1_000_000 };

async function tenantWithKey(metering: "exact" | "leased" = "exact") {
  const tenant = await createTenant({ name: `lifecycle ${metering}`, limits, metering });
  return { tenant, key: await createKey(tenant.id) };
}

describe("models", () => {
  it("an alias other than default can be deleted; default cannot (409); an unknown alias is 404", async () => {
    expect((await uploadModel("lc-alias", scaleBy(2), { version: "1" })).status).toBe(201);
    expect((await send("PUT", "/admin/models/lc-alias/aliases/beta", { version: "1" })).status).toBe(200);
    const { key } = await tenantWithKey();
    expect((await inferScale(key.key, "lc-alias", "beta")).status).toBe(200);

    const deleted = await send("DELETE", "/admin/models/lc-alias/aliases/beta");
    expect(deleted.status).toBe(200);
    expect((await json(deleted)).aliases).toEqual({ default: "1" });
    expect((await inferScale(key.key, "lc-alias", "beta")).status).toBe(404);
    expect((await send("DELETE", "/admin/models/lc-alias/aliases/beta")).headers.get("X-Error-Code")).toBe(
      "alias_not_found",
    );
    const refused = await send("DELETE", "/admin/models/lc-alias/aliases/default");
    expect(refused.status).toBe(409);
  });

  it("a deleted asset leaves the model's set, and its bytes go once no version pinned them", async () => {
    expect((await uploadModel("lc-asset", scaleBy(2), { version: "1" })).status).toBe(201);
    const put = await admin("/admin/models/lc-asset/assets/vocab.txt", {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: new TextEncoder().encode("a\nb\n"),
    });
    const { sha256 } = await json<{ sha256: string }>(put);
    expect(await env.MODELS.head(`models/lc-asset/assets/${sha256}`)).not.toBeNull();

    const deleted = await send("DELETE", "/admin/models/lc-asset/assets/vocab.txt");
    expect(deleted.status).toBe(200);
    expect((await json(deleted)).assets).toEqual({});
    expect(await env.MODELS.head(`models/lc-asset/assets/${sha256}`)).toBeNull();
    expect((await send("DELETE", "/admin/models/lc-asset/assets/vocab.txt")).status).toBe(404);
  });

  it("a version an OCR pipeline names as its recognizer cannot be deleted (409 version_in_use)", async () => {
    expect((await uploadModel("lc-rec", scaleBy(2), { version: "1" })).status).toBe(201);
    expect((await uploadModel("lc-rec", scaleBy(3), { version: "2" })).status).toBe(201);
    const manifest = { task: "ocr", preprocess: { recognizer: "lc-rec@1" } };
    expect((await send("PUT", "/admin/models/lc-ocr", manifest)).status).toBeLessThan(300);
    expect((await uploadModel("lc-ocr", scaleBy(1), { version: "1", manifest })).status).toBe(201);

    const refused = await send("DELETE", "/admin/models/lc-rec/versions/1");
    expect(refused.status).toBe(409);
    expect(refused.headers.get("X-Error-Code")).toBe("version_in_use");
    expect((await json(refused)).error.message).toContain("lc-ocr@1 (recognizer)");
    expect((await send("DELETE", "/admin/models/lc-rec/versions/2")).status).toBe(409); // `default`: alias_in_use
    expect((await send("PUT", "/admin/models/lc-rec/aliases/default", { version: "1" })).status).toBe(200);
    expect((await send("DELETE", "/admin/models/lc-rec/versions/2")).status).toBe(200);
  });
});

describe("tenants and keys", () => {
  it.each(["exact", "leased"] as const)(
    "a deleted tenant (%s metering) is gone, its keys are refused, and its ledger is in the answer",
    async (metering) => {
      const { tenant, key } = await tenantWithKey(metering);
      expect((await usageOf(key.key)).status).toBe(200);
      const deleted = await send("DELETE", `/admin/tenants/${tenant.id}`);
      expect(deleted.status).toBe(200);
      const body = await json(deleted);
      expect(body.tenant.id).toBe(tenant.id);
      expect(body.keys.map((k: { revokedAt: string | null }) => k.revokedAt !== null)).toEqual([true]);
      expect(body.usage.tenantId).toBe(tenant.id);

      const refused = await usageOf(key.key);
      expect(refused.status).toBe(401);
      expect((await send("GET", `/admin/tenants/${tenant.id}`)).status).toBe(404);
      expect((await send("DELETE", `/admin/tenants/${tenant.id}`)).status).toBe(404);
      const listed = await json<{ tenants: { id: string }[] }>(send("GET", "/admin/tenants"));
      expect(listed.tenants.map((t) => t.id)).not.toContain(tenant.id);
    },
  );

  it("a rotated key: old and new secrets both work in the grace period, the old one not after it", async () => {
    const { key } = await tenantWithKey();
    const rotated = await send("POST", `/admin/keys/${key.id}/rotate`, { gracePeriodSeconds: 1 });
    expect(rotated.status).toBe(201);
    const body = await json(rotated);
    expect(body.key).toMatch(/^emk_live_/);
    expect(body.name).toBe("test key");
    expect(body.previous.id).toBe(key.id);
    expect(Date.parse(body.previous.expiresAt) - Date.now()).toBeLessThanOrEqual(1000);

    expect((await usageOf(body.key)).status).toBe(200);
    expect((await usageOf(key.key)).status).toBe(200);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Date.parse(body.previous.expiresAt) - Date.now() + 5)),
    );
    const expired = await usageOf(key.key);
    expect(expired.status).toBe(401);
    expect(expired.headers.get("X-Error-Code")).toBe("expired_key");
    expect((await usageOf(body.key)).status).toBe(200);
  });

  it("rotating with no grace revokes the old secret at once; the default grace is a day", async () => {
    const { key } = await tenantWithKey();
    const now = await json(send("POST", `/admin/keys/${key.id}/rotate`, { gracePeriodSeconds: 0 }));
    expect((await usageOf(key.key)).headers.get("X-Error-Code")).toBe("revoked_key");
    const later = await json(send("POST", `/admin/keys/${now.id}/rotate`, {}));
    expect(Math.abs(Date.parse(later.previous.expiresAt) - Date.now() - 86_400_000)).toBeLessThan(60_000);
    expect((await send("POST", `/admin/keys/${key.id}/rotate`, {})).status).toBe(404); // revoked: nothing to rotate
    expect((await send("POST", `/admin/keys/${now.id}/rotate`, { gracePeriodSeconds: 8 * 86_400 })).status).toBe(400);
  });

  it("a key's name, scopes and expiry can be changed; unknown fields are refused", async () => {
    const { key } = await tenantWithKey();
    const patched = await json(send("PATCH", `/admin/keys/${key.id}`, { name: "renamed", scopes: ["infer"] }));
    expect(patched).toMatchObject({ name: "renamed", scopes: ["infer"], requestsPerMinute: null });
    expect((await usageOf(key.key)).headers.get("X-Error-Code")).toBe("insufficient_scope");
    await send("PATCH", `/admin/keys/${key.id}`, { scopes: ["usage:read"], expiresAt: "2000-01-01T00:00:00Z" });
    expect((await usageOf(key.key)).headers.get("X-Error-Code")).toBe("expired_key");
    await send("PATCH", `/admin/keys/${key.id}`, { expiresAt: null });
    expect((await usageOf(key.key)).status).toBe(200);
    expect((await send("PATCH", `/admin/keys/${key.id}`, { tenantId: "x" })).status).toBe(400);
    expect((await send("PATCH", "/admin/keys/key_0000", { name: "x" })).status).toBe(404);
  });

  it.each(["exact", "leased"] as const)(
    "a key's own rate limit holds under the tenant's (%s metering); the tenant's other keys are not held by it",
    async (metering) => {
      expect((await uploadModel("lc-rate", scaleBy(2), { version: "1" })).status).toBeLessThan(300);
      const { tenant, key } = await tenantWithKey(metering);
      const other = await createKey(tenant.id);
      const limited = await json(send("PATCH", `/admin/keys/${key.id}`, { requestsPerMinute: 2 }));
      expect(limited.requestsPerMinute).toBe(2);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await inferScale(key.key, "lc-rate")).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      const refused = await inferScale(key.key, "lc-rate");
      expect(refused.headers.get("X-Error-Code")).toBe("rate_limited");
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
      for (let i = 0; i < 4; i++) expect((await inferScale(other.key, "lc-rate")).status).toBe(200);
    },
  );
});

describe("admin token rotation", () => {
  it("ADMIN_TOKEN and ADMIN_TOKEN_NEXT are both accepted; any other token is refused", async () => {
    for (const token of ["test-admin-token", "test-admin-token-next"])
      expect((await withKey(token, "/admin/tenants")).status).toBe(200);
    expect((await withKey("test-admin-token-nex", "/admin/tenants")).status).toBe(401);
    expect((await anonymous("/admin/tenants")).status).toBe(401);
  });
});
