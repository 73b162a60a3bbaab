/**
 * The typed client (src/client), run inside workerd as one tenant's Worker would run it (its `fetch` is a service
 * binding's; here the Worker under test): every route family answers through it, OIP tensors go in and come back
 * as typed arrays in JSON and in binary and equal the hand-computed products, a task call equals scikit-learn's own
 * predictions, every refusal is one `EdgeMaasError` with the server's code, status, request id and Retry-After,
 * and a 429 is retried after its Retry-After with the same Idempotency-Key (and charged once).
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createEdgeMaasClient, EdgeMaasError } from "../src/client";
import { scaleBy } from "./support/fixtures";
import { ADMIN_TOKEN, repoText, seedBundled } from "./support/worker";

const workerFetch = (request: Request) => exports.default.fetch(request);
const operator = createEdgeMaasClient({
  baseUrl: "http://edge-maas.test",
  adminToken: ADMIN_TOKEN,
  fetch: workerFetch,
});
let apiKey: string;
let tenantId: string;
const tenantClient = (key = apiKey, retry?: { retries: number }) =>
  createEdgeMaasClient({ baseUrl: "http://edge-maas.test", apiKey: key, fetch: workerFetch, retry });

beforeAll(async () => {
  await seedBundled("diabetes-linear");
  await operator.admin.models.put("client-scale", { task: "tensor" });
  await operator.admin.models.uploadVersion("client-scale", "1", scaleBy(3));
  const tenant = await operator.admin.tenants.create({
    name: "client test",
    limits: { requestsPerMinute: 1000, monthlyUnits: 1_000_000 },
  });
  tenantId = tenant.id;
  apiKey = (await operator.admin.keys.create(tenant.id, { name: "client" })).key;
});

describe("route families", () => {
  it("discovery and health", async () => {
    expect((await tenantClient().info()).name).toBe("edge-maas");
    expect((await tenantClient().serverMetadata()).extensions).toContain("binary_tensor_data");
    await expect(tenantClient().ready()).resolves.toBeDefined();
  });

  it("OIP: typed arrays in and out, in JSON and in binary, equal 3x computed by hand", async () => {
    const x = Float32Array.of(1.5, -2, 0.25, 1e3);
    for (const binary of [true, false]) {
      const result = await tenantClient().oip.infer(
        "client-scale",
        { inputs: [{ name: "x", shape: [4], data: x }] },
        { binary },
      );
      const y = result.byName.y!;
      expect(y.data).toBeInstanceOf(Float32Array);
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(x, (v) => v * 3));
    }
    const metadata = await tenantClient().oip.metadata("client-scale");
    expect(metadata.inputs[0]!.name).toBe("x");
  });

  it("tasks: /v1/run answers as scikit-learn predicted", async () => {
    const rows = JSON.parse(await repoText("test/data/tabular/diabetes-linear.json")) as {
      features: number[];
      sklearn: { value: number };
    }[];
    const values = await tenantClient().run<number[]>("diabetes-linear", {
      features: rows.slice(0, 5).map((r) => r.features),
    });
    values.forEach((v, i) =>
      expect(Math.abs(v - rows[i]!.sklearn.value)).toBeLessThan(1e-5 * Math.abs(rows[i]!.sklearn.value)),
    );
  });

  it("OpenAI-style models and usage", async () => {
    const listed = await tenantClient().models.list();
    expect(listed.data.map((m: { id: string }) => m.id)).toContain("client-scale");
    const usage = await tenantClient().usage();
    expect(usage.tenantId).toBe(tenantId);
  });

  it("admin: models, tenants, keys and their lifecycle", async () => {
    expect((await operator.admin.models.list()).models.map((m) => m.name)).toContain("client-scale");
    await operator.admin.models.setAlias("client-scale", "stable", "1");
    expect((await operator.admin.models.deleteAlias("client-scale", "stable")).aliases).toEqual({ default: "1" });
    const key = await operator.admin.keys.create(tenantId, { name: "to rotate" });
    const patched = await operator.admin.keys.update(key.id, { name: "renamed", requestsPerMinute: 10 });
    expect(patched).toMatchObject({ name: "renamed", requestsPerMinute: 10 });
    const rotated = await operator.admin.keys.rotate(key.id, { gracePeriodSeconds: 60 });
    expect(rotated.previous.id).toBe(key.id);
    expect((await tenantClient(rotated.key).usage()).tenantId).toBe(tenantId);
    expect((await operator.admin.keys.list(tenantId)).keys.length).toBeGreaterThanOrEqual(3);
    const gone = await operator.admin.tenants.create({
      name: "to delete",
      limits: { requestsPerMinute: 1, monthlyUnits: 1 },
    });
    expect((await operator.admin.tenants.delete(gone.id)).tenant.id).toBe(gone.id);
  });
});

describe("the remaining families", () => {
  it("repository index and load/unload, the isolate's runtime, profiling, unsettled charges and refunds", async () => {
    const index = await tenantClient().oip.repositoryIndex({});
    expect(index.map((entry: { name: string }) => entry.name)).toContain("client-scale");
    await expect(tenantClient().oip.load("client-scale")).rejects.toBeInstanceOf(EdgeMaasError);
    expect(typeof (await operator.admin.runtime.get()).wasmMemoryBytes).toBe("number");
    const profiled = await operator.admin.models.profile(
      "client-scale",
      "1",
      { inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] },
      { iterations: 2 },
    );
    expect(profiled).toBeDefined();
    expect((await operator.admin.tenants.unsettled(tenantId)).charges).toEqual([]);
    await expect(operator.admin.tenants.refund(tenantId, { eventId: "no-such-charge" })).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe("errors and retries", () => {
  it("every refusal is an EdgeMaasError with the server's code, status and request id", async () => {
    const error = await tenantClient()
      .oip.metadata("no-such-model")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeMaasError);
    expect(error).toMatchObject({ code: "model_not_found", status: 404 });
    expect((error as EdgeMaasError).requestId).toMatch(/.+/);
    const admin = await tenantClient()
      .admin.tenants.list()
      .catch((e: unknown) => e);
    expect(admin).toMatchObject({ code: "unauthorized", status: 401 });
    const down = createEdgeMaasClient({
      baseUrl: "http://edge-maas.test",
      retry: false,
      fetch: () => Promise.reject(new TypeError("fetch failed")),
    });
    await expect(down.live()).rejects.toMatchObject({ code: "network_error", status: 0 });
  });

  it("the server's 429 carries retryAfter", async () => {
    const key = await operator.admin.keys.create(tenantId, { name: "slow", requestsPerMinute: 1 });
    const input = { inputs: [{ name: "x", shape: [1], data: Float32Array.of(1) }] };
    await tenantClient(key.key).oip.infer("client-scale", input);
    const refused = await tenantClient(key.key)
      .oip.infer("client-scale", input)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "rate_limited", status: 429 });
    expect((refused as EdgeMaasError).retryAfter).toBeGreaterThan(30); // longer than the client waits: not retried
  });

  it("a 429 or 503 is sent again after its Retry-After with the same Idempotency-Key, and charged once", async () => {
    const input = { inputs: [{ name: "x", shape: [1], data: Float32Array.of(1) }] };
    const before = (await operator.admin.tenants.usage(tenantId)).totals.requests;
    const attempts: { at: number; key: string | null }[] = [];
    const busyTwice = async (request: Request) => {
      attempts.push({ at: Date.now(), key: request.headers.get("Idempotency-Key") });
      if (attempts.length === 1)
        return Response.json(
          { error: "busy" },
          { status: 429, headers: { "Retry-After": "1", "X-Error-Code": "rate_limited" } },
        );
      const response = await exports.default.fetch(request);
      if (attempts.length === 2) return new Response("unavailable", { status: 503, headers: { "Retry-After": "0" } });
      return response;
    };
    const client = createEdgeMaasClient({ baseUrl: "http://edge-maas.test", apiKey, fetch: busyTwice });
    const result = await client.oip.infer("client-scale", input, { idempotencyKey: true });
    expect(Array.from(result.byName.y!.data as Float32Array)).toEqual([3]);
    expect(attempts).toHaveLength(3);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(new Set(attempts.map((a) => a.key)).size).toBe(1);
    expect(attempts[0]!.key).toMatch(/.+/);
    // the second attempt ran and was charged; the third was answered from the idempotency record
    expect((await operator.admin.tenants.usage(tenantId)).totals.requests).toBe(before + 1);
  });
});
