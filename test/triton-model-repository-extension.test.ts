/**
 * Triton's model repository extension, as its protocol document (server docs/protocol/extension_model_repository.md)
 * describes it and tritonclient calls it: `POST /v2/repository/index` with an empty or `{"ready": ...}` body lists
 * `{name, version, state, reason}` per model version, here only the models the key may call; load and unload are
 * refused with a 400 `{"error"}` because models are managed through the admin API.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { anonymous, call, createKey, createTenant, json, uploadModel, withKey } from "./support/worker";

const MODEL = "repository-listed";
const INDEX = "/v2/repository/index";
const index = (init: RequestInit = {}) => call(INDEX, { method: "POST", ...init });

beforeAll(async () => {
  expect((await uploadModel(MODEL, scaleBy(2))).status).toBe(201);
  expect((await uploadModel(MODEL, scaleBy(3), { version: "2" })).status).toBe(201);
});

describe("POST /v2/repository/index", () => {
  it("lists every version of every model, READY, for an empty, {} or {ready} body", async () => {
    const entries = await json(index());
    expect(entries.filter((e: { name: string }) => e.name === MODEL)).toEqual([
      { name: MODEL, version: "1", state: "READY", reason: "" },
      { name: MODEL, version: "2", state: "READY", reason: "" },
    ]);
    for (const body of ["", "{}", '{"ready": true}', '{"ready": false}']) {
      const response = await index({ body, headers: { "Content-Type": "application/json" } });
      expect(response.status, body).toBe(200);
      expect(await json(response), body).toEqual(entries);
    }
  });

  it("lists only what the key may call", async () => {
    const tenant = await createTenant({ name: "repository", limits: { requestsPerMinute: 100, monthlyUnits: 100 } });
    const scoped = await createKey(tenant.id, { scopes: [`infer:${MODEL}`] });
    const usageOnly = await createKey(tenant.id, { scopes: ["usage:read"] });
    expect(await json(withKey(scoped.key, INDEX, { method: "POST" }))).toEqual([
      { name: MODEL, version: "1", state: "READY", reason: "" },
      { name: MODEL, version: "2", state: "READY", reason: "" },
    ]);
    expect(await json(withKey(usageOnly.key, INDEX, { method: "POST" }))).toEqual([]);
    const noKey = await anonymous(INDEX, { method: "POST" });
    expect(noKey.status).toBe(401);
    expect(Object.keys(await json(noKey))).toEqual(["error"]);
  });

  it("refuses a body that is not an index request, and load and unload, with OIP's {error}", async () => {
    for (const body of ["{", '{"ready": "yes"}', "[]"]) {
      const response = await index({ body, headers: { "Content-Type": "application/json" } });
      expect(response.status, body).toBe(400);
      expect(typeof (await json(response)).error, body).toBe("string");
    }
    for (const action of ["load", "unload"]) {
      const response = await call(`/v2/repository/models/${MODEL}/${action}`, { method: "POST" });
      expect(response.status).toBe(400);
      expect((await json(response)).error).toContain(`explicit model ${action} is not supported`);
    }
  });

  it("is listed in the server's extensions", async () => {
    expect((await json(anonymous("/v2"))).extensions).toContain("model_repository");
  });
});
