/**
 * The typed client (src/client) in Node against `npm run dev`: OIP tensors sent as typed arrays in binary and in
 * JSON come back as typed arrays equal to onnxruntime-node's outputs on the same weights; task, OpenAI-style and
 * usage routes answer through it; the admin family manages a tenant whose deleted key is then refused with one
 * `EdgeMaasError`; a server that is down is a `network_error`.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { bundledManifests, readRepoFile } from "../../scripts/lib/bundled-models";
import { createEdgeMaasClient, EdgeMaasError } from "../../src/client";
import { devServer } from "./dev-server";

const tenantClient = () => createEdgeMaasClient({ baseUrl: devServer().baseUrl, apiKey: devServer().apiKey });
const adminClient = () => createEdgeMaasClient({ baseUrl: devServer().baseUrl, adminToken: devServer().adminToken });

describe("the typed client in Node", () => {
  it("OIP: ppocr-cls@1 on typed arrays, binary and JSON, equals onnxruntime-node within 1e-5", async () => {
    const file = bundledManifests().find((m) => m.name === "ppocr-cls")!.versions["1"]!.file;
    const session = await ort.InferenceSession.create(await readRepoFile(file));
    const x = Float32Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.sin(i * 12.9898));
    const expected = (await session.run({ x: new ort.Tensor("float32", x, [2, 3, 48, 192]) }))[
      session.outputNames[0]!
    ]!;
    for (const binary of [true, false]) {
      const result = await tenantClient().oip.infer(
        "ppocr-cls",
        { inputs: [{ name: "x", shape: [2, 3, 48, 192], data: x }] },
        { version: "1", binary },
      );
      const output = result.outputs[0]!;
      expect(output.data).toBeInstanceOf(Float32Array);
      expect(output.shape).toEqual(expected.dims);
      const got = output.data as Float32Array;
      const want = expected.data as Float32Array;
      expect(Math.max(...Array.from(want, (v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-5);
    }
  });

  it("tasks, OpenAI-style models and embeddings, and usage answer through it", async () => {
    const client = tenantClient();
    const labels = await client.run<{ label: string }[]>("lid-176", { text: "Bonjour tout le monde, comment ça va ?" });
    expect(labels[0]!.label).toBe("fr");
    const embedded = await client.embeddings.create({ model: "bert-fixture", input: ["a", "b"] });
    expect(embedded.data).toHaveLength(2);
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    expect((await client.usage()).totals.requests).toBeGreaterThan(0);
  });

  it("admin: a tenant and key it creates serve calls; once the tenant is deleted its key is one EdgeMaasError", async () => {
    const admin = adminClient();
    const tenant = await admin.admin.tenants.create({
      name: "node client",
      limits: { requestsPerMinute: 60, monthlyUnits: 100 },
    });
    const { key } = await admin.admin.keys.create(tenant.id, { name: "node" });
    const client = createEdgeMaasClient({ baseUrl: devServer().baseUrl, apiKey: key });
    expect((await client.usage()).tenantId).toBe(tenant.id);
    await admin.admin.tenants.delete(tenant.id);
    const refused = await client.usage().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EdgeMaasError);
    expect(refused).toMatchObject({ status: 401, code: "revoked_key" });
    expect((refused as EdgeMaasError).requestId).toMatch(/.+/);
  });

  it("a server that is down is a network_error with status 0", async () => {
    const down = createEdgeMaasClient({ baseUrl: "http://127.0.0.1:9", retry: false });
    await expect(down.live()).rejects.toMatchObject({ code: "network_error", status: 0 });
  });
});
