/**
 * Regression: OIP requests were metered by the leading dimension of whichever input came first, so a silero-vad
 * batch of 64 sent as `[sr, input, state]` was charged 1 (seven requests ran 448 windows for 8 units). Units now
 * come from the model's signature: the batch axis of each input, read from the graph at upload (the symbolic
 * dimension leading the most inputs, else a dynamic leading one) or declared by the manifest's `batchAxes`
 * (silero-vad's `state` is `[2, batch, 128]`). Scalars and inputs without a batch axis never decide it, and inputs
 * that disagree on it are a 400. The ledger is read back for every claim.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { writeOnnxModel } from "../src/onnx/writer";
import { fixedShapeRelu, multiInputOutput, scaleBy } from "./support/fixtures";
import { admin, createKey, createTenant, json, putManifest, seedBundled, uploadModel, withKey } from "./support/worker";

let key = "";
let tenantId = "";

const tensor = (name: string, datatype: string, shape: number[], fill = 0) => ({
  name,
  datatype,
  shape,
  data: new Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
});
/** Sends inputs in the order given; `no-store` so every request runs (and is charged as a run). */
const infer = (model: string, inputs: unknown[]) =>
  withKey(key, `/v2/models/${model}/infer`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify({ inputs }),
  });

async function charged(response: Response): Promise<number> {
  expect(response.status, await response.clone().text()).toBe(200);
  await response.arrayBuffer();
  return Number(response.headers.get("X-Units"));
}

const committedUnits = async () => (await json(admin(`/admin/tenants/${tenantId}/usage`))).totals.units as number;

beforeAll(async () => {
  await seedBundled("silero-vad");
  expect((await uploadModel("units-multi", multiInputOutput())).status).toBe(201);
  expect((await uploadModel("units-fixed", fixedShapeRelu())).status).toBe(201);
  // a recurrent-style signature whose batch is named but not leading in the state
  const recurrent = writeOnnxModel({
    inputs: [
      { name: "x", elemType: 1, dims: ["batch", 4] },
      { name: "h", elemType: 1, dims: [2, "batch", 4] },
    ],
    outputs: [{ name: "y", elemType: 1, dims: [2, "batch", 4] }],
    nodes: [{ opType: "Add", inputs: ["x", "h"], outputs: ["y"] }],
  });
  expect((await uploadModel("units-recurrent", recurrent)).status).toBe(201);
  tenantId = (await createTenant({ name: "units", limits: { requestsPerMinute: 10_000, monthlyUnits: 100_000 } })).id;
  key = (await createKey(tenantId)).key;
});

describe("silero-vad", () => {
  const input = tensor("input", "FP32", [64, 576]);
  const state = tensor("state", "FP32", [2, 64, 128]);
  const sr = { name: "sr", datatype: "INT64", shape: [], data: [16000] };

  it("a batch of 64 windows costs 64 units in every input order, and the ledger agrees", async () => {
    const before = await committedUnits();
    const orders = [
      [input, state, sr],
      [sr, input, state],
      [state, sr, input],
      [sr, state, input],
    ];
    for (const inputs of orders) expect(await charged(await infer("silero-vad", inputs))).toBe(64);
    expect((await committedUnits()) - before).toBe(64 * orders.length);
  });

  it("inputs that disagree on the batch (input 64, state 1): 400 naming both, nothing charged; then a good batch runs", async () => {
    const before = await committedUnits();
    const response = await infer("silero-vad", [sr, input, tensor("state", "FP32", [2, 1, 128])]);
    expect(response.status).toBe(400);
    expect(response.headers.get("X-Error-Code")).toBe("tensor_mismatch");
    expect((await json(response)).error).toMatch(/input 'input' has 64 \(axis 0\), but input 'state' has 1 \(axis 1\)/);
    expect(await committedUnits()).toBe(before);
    expect(await charged(await infer("silero-vad", [sr, input, state]))).toBe(64);
  });

  it("a batch over limits.maxBatch (64) is 413 whichever input comes first", async () => {
    const response = await infer("silero-vad", [
      sr,
      tensor("state", "FP32", [2, 65, 128]),
      tensor("input", "FP32", [65, 576]),
    ]);
    expect(response.status).toBe(413);
    expect(response.headers.get("X-Error-Code")).toBe("batch_too_large");
  });
});

describe("batch axes read from the graph", () => {
  const a = tensor("a", "FP32", [5, 3]);
  const b = tensor("b", "FP32", [3]);
  const k = { name: "k", datatype: "INT64", shape: [], data: [2] };

  it("a[batch, n] with b[n] and a scalar k: the batch is a's 5 in any order; b's length does not count", async () => {
    for (const inputs of [
      [a, b, k],
      [k, b, a],
      [b, k, a],
    ])
      expect(await charged(await infer("units-multi", inputs))).toBe(5);
  });

  it("a named batch inside a state-like input (h[2, batch, 4]) is that input's batch axis; disagreeing is 400", async () => {
    expect(
      await charged(await infer("units-recurrent", [tensor("h", "FP32", [2, 3, 4]), tensor("x", "FP32", [3, 4])])),
    ).toBe(3);
    const disagree = await infer("units-recurrent", [tensor("h", "FP32", [2, 2, 4]), tensor("x", "FP32", [3, 4])]);
    expect(disagree.status).toBe(400);
    expect((await json(disagree)).error).toMatch(/inputs disagree on the batch size/);
  });

  it("a model with only fixed dimensions is one unit per request", async () => {
    expect(await charged(await infer("units-fixed", [tensor("x", "FP32", [2, 3])]))).toBe(1);
  });

  it("the axes are stored with the version, read from the graph", async () => {
    const manifest = await json(admin("/admin/models/units-recurrent"));
    expect(manifest.versions["1"].batchAxes).toEqual({ x: 0, h: 1 });
    expect((await json(admin("/admin/models/units-multi"))).versions["1"].batchAxes).toEqual({ a: 0 });
  });
});

describe("the manifest's batchAxes", () => {
  it("overrides the graph: b[n] declared a batch makes it count (and agree with a), null removes an input's batch", async () => {
    expect((await putManifest("units-multi", { task: "tensor", batchAxes: { b: 0 } })).status).toBe(200);
    const disagree = await infer("units-multi", [tensor("a", "FP32", [5, 3]), tensor("b", "FP32", [3])]);
    expect(disagree.status).toBe(400);
    expect((await putManifest("units-multi", { task: "tensor", batchAxes: { a: null } })).status).toBe(200);
    expect(
      await charged(
        await infer("units-multi", [
          tensor("a", "FP32", [5, 3]),
          tensor("b", "FP32", [3]),
          { name: "k", datatype: "INT64", shape: [], data: [1] },
        ]),
      ),
    ).toBe(1);
    expect((await putManifest("units-multi", { task: "tensor" })).status).toBe(200);
  });

  it("must name an input of every version and a dynamic axis of it: 422 invalid_manifest otherwise", async () => {
    for (const batchAxes of [{ nope: 0 }, { a: 2 }, { k: 0 }]) {
      const response = await putManifest("units-multi", { task: "tensor", batchAxes });
      expect(response.status, JSON.stringify(batchAxes)).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    }
    const fixed = await putManifest("silero-vad", { task: "voice-activity", batchAxes: { state: 0 } });
    expect(fixed.status).toBe(422);
    expect((await json(fixed)).error.message).toMatch(/fixed at 2/);
  });

  it("a version uploaded against a manifest whose batchAxes does not fit it is refused, nothing stored", async () => {
    expect((await putManifest("units-scale", { task: "tensor", batchAxes: { a: 0 } })).status).toBe(201);
    const response = await uploadModel("units-scale", scaleBy(2), {
      manifest: { task: "tensor", batchAxes: { a: 0 } },
    });
    expect(response.status).toBe(422);
    expect((await json(admin("/admin/models/units-scale"))).versions).toEqual({});
  });
});

describe("versions stored before batch axes were recorded", () => {
  it("fall back to each input's dynamic leading dimension; the manifest's batchAxes settles what that cannot", async () => {
    expect((await uploadModel("units-legacy", multiInputOutput())).status).toBe(201);
    const stored = await env.MODELS.get("models/units-legacy/manifest.json");
    const manifest = (await stored!.json()) as { versions: Record<string, { batchAxes?: unknown }> };
    delete manifest.versions["1"]!.batchAxes;
    await env.MODELS.put("models/units-legacy/manifest.json", JSON.stringify(manifest));
    expect((await json(admin("/admin/models/units-legacy"))).versions["1"].batchAxes).toBeUndefined(); // read afresh
    const inputs = [
      tensor("a", "FP32", [3, 4]),
      tensor("b", "FP32", [4]),
      { name: "k", datatype: "INT64", shape: [], data: [1] },
    ];
    // a[batch, n] and b[n] both lead with a dynamic dimension, and without the graph's names they disagree
    const ambiguous = await infer("units-legacy", inputs);
    expect(ambiguous.status).toBe(400);
    expect((await json(ambiguous)).error).toMatch(/input 'a' has 3 \(axis 0\), but input 'b' has 4/);
    const declared = await putManifest("units-legacy", { task: "tensor", batchAxes: { b: null } });
    expect(declared.status).toBe(200);
    expect(await charged(await infer("units-legacy", inputs))).toBe(3);
  });
});
