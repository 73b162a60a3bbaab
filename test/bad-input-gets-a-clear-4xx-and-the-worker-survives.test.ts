/**
 * Bad requests get the right 4xx with an OIP `{"error": "..."}` body (or `{"error": {code, message}}` off the
 * OIP routes), never a 500 or a hang; after each one, a good request still succeeds in the same isolate.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fixedShapeRelu, multiInputOutput } from "./support/fixtures";
import { inferBinary, inferJson, type TestTensor } from "./support/oip";
import { admin, call, json, randomFloats, seedBundled, uploadModel } from "./support/worker";

const goodInputs = (): TestTensor[] => [
  { name: "a", datatype: "FP32", shape: [2, 3], data: randomFloats(1, 6) },
  { name: "b", datatype: "FP32", shape: [3], data: randomFloats(2, 3) },
  { name: "k", datatype: "INT64", shape: [], data: BigInt64Array.of(2n) },
];

const postJson = (path: string, body: unknown) =>
  call(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const withInputs = (change: (inputs: Record<string, unknown>[]) => void) => {
  const inputs = goodInputs().map((t) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
    data: Array.from(t.data as ArrayLike<number | bigint>, Number),
  }));
  change(inputs);
  return { inputs };
};

function binaryRequest(header: unknown, payload: Uint8Array, headerLength?: string): Promise<Response> {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(head.byteLength + payload.byteLength);
  body.set(head);
  body.set(payload, head.byteLength);
  return call("/v2/models/multi-io/infer", {
    method: "POST",
    headers: {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": headerLength ?? String(head.byteLength),
    },
    body,
  });
}

interface Case {
  name: string;
  send: () => Promise<Response>;
  status: number;
  code: string;
  message?: RegExp;
}

const INFER = "/v2/models/multi-io/infer";

const cases: Case[] = [
  {
    name: "unknown model",
    send: () => inferJson("/v2/models/no-such-model/infer", goodInputs()),
    status: 404,
    code: "model_not_found",
  },
  {
    name: "unknown version",
    send: () => inferJson("/v2/models/multi-io/versions/7/infer", goodInputs()),
    status: 404,
    code: "version_not_found",
  },
  {
    name: "metadata of an unknown model",
    send: () => call("/v2/models/no-such-model"),
    status: 404,
    code: "model_not_found",
  },
  {
    name: "malformed JSON",
    send: () => postJson(INFER, '{"inputs": [ {"name": "a"'),
    status: 400,
    code: "invalid_json",
  },
  { name: "empty body", send: () => postJson(INFER, ""), status: 400, code: "invalid_json" },
  { name: "no inputs", send: () => postJson(INFER, { inputs: [] }), status: 400, code: "invalid_request" },
  {
    name: "a shape that is not a list of integers",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.shape = [2, -3])),
      ),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "unknown input name",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.name = "alpha")),
      ),
    status: 400,
    code: "tensor_mismatch",
    message: /unknown input 'alpha'/,
  },
  {
    name: "a missing input",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => i.pop()),
      ),
    status: 400,
    code: "tensor_mismatch",
    message: /missing input 'k'/,
  },
  {
    name: "an input given twice",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => i.push(i[1]!)),
      ),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "wrong datatype",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.datatype = "FP64")),
      ),
    status: 400,
    code: "tensor_mismatch",
    message: /must be FP32/,
  },
  {
    name: "unknown datatype",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.datatype = "STRING")),
      ),
    status: 400,
    code: "invalid_request",
    message: /'STRING'; supported: .*BYTES/,
  },
  {
    name: "BYTES for a FP32 input",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.datatype = "BYTES")),
      ),
    status: 400,
    code: "tensor_mismatch",
    message: /must be FP32, got BYTES/,
  },
  {
    name: "wrong rank",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[1]!.shape = [1, 3])),
      ),
    status: 400,
    code: "tensor_mismatch",
    message: /rank 1/,
  },
  {
    name: "a scalar sent as a vector",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => ((i[2]!.shape = [1]), (i[2]!.data = [2]))),
      ),
    status: 400,
    code: "tensor_mismatch",
  },
  {
    name: "data shorter than the shape",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.data as number[]).pop()),
      ),
    status: 400,
    code: "invalid_request",
    message: /has 5 elements/,
  },
  {
    name: "data longer than the shape",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[0]!.data as number[]).push(1)),
      ),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a string where a number belongs",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => ((i[1]!.data as unknown[])[0] = "1")),
      ),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a fraction in an INT64 tensor",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[2]!.data = [2.5])),
      ),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "an INT64 beyond 2^53 in JSON",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => (i[2]!.data = [2 ** 60])),
      ),
    status: 400,
    code: "invalid_request",
    message: /binary extension/,
  },
  {
    name: "an unknown output",
    send: () => postJson(INFER, { ...withInputs(() => {}), outputs: [{ name: "nope" }] }),
    status: 400,
    code: "tensor_mismatch",
    message: /unknown output 'nope'/,
  },
  {
    name: "shapes the graph cannot broadcast",
    send: () =>
      postJson(
        INFER,
        withInputs((i) => ((i[1]!.shape = [4]), (i[1]!.data = [1, 2, 3, 4]))),
      ),
    status: 400,
    code: "inference_failed",
  },
  {
    name: "form-encoded body",
    send: () =>
      call(INFER, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "a=1" }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "binary header length that is not a number",
    send: () => binaryRequest({ inputs: [] }, new Uint8Array(0), "abc"),
    status: 400,
    code: "invalid_binary_header",
  },
  {
    name: "binary header length beyond the body",
    send: () => binaryRequest({ inputs: [] }, new Uint8Array(0), "100000"),
    status: 400,
    code: "invalid_binary_header",
  },
  {
    name: "binary_data_size beyond the binary data",
    send: () =>
      binaryRequest(
        { inputs: [{ name: "a", datatype: "FP32", shape: [2, 3], parameters: { binary_data_size: 24 } }] },
        new Uint8Array(8),
      ),
    status: 400,
    code: "invalid_binary_header",
  },
  {
    name: "binary data left over after the declared tensors",
    send: () =>
      binaryRequest(
        { inputs: [{ name: "k", datatype: "INT64", shape: [], parameters: { binary_data_size: 8 } }] },
        new Uint8Array(12),
      ),
    status: 400,
    code: "invalid_binary_header",
  },
  {
    name: "binary size that does not match the shape",
    send: () =>
      binaryRequest(
        {
          inputs: [
            { name: "a", datatype: "FP32", shape: [2, 3], parameters: { binary_data_size: 20 } },
            { name: "b", datatype: "FP32", shape: [3], parameters: { binary_data_size: 12 } },
            { name: "k", datatype: "INT64", shape: [], parameters: { binary_data_size: 8 } },
          ],
        },
        new Uint8Array(40),
      ),
    status: 400,
    code: "invalid_request",
    message: /needs 24/,
  },
  {
    name: "a fixed dimension that does not match",
    send: () =>
      inferJson("/v2/models/fixed-relu/infer", [
        { name: "x", datatype: "FP32", shape: [3, 2], data: new Float32Array(6) },
      ]),
    status: 400,
    code: "tensor_mismatch",
    message: /\[2, 3\]/,
  },
  {
    name: "more elements than the model allows",
    send: () =>
      inferJson(INFER.replace("multi-io", "limited"), [
        { ...goodInputs()[0]!, shape: [2, 6], data: new Float32Array(12) },
        { ...goodInputs()[1]!, shape: [6], data: new Float32Array(6) },
        goodInputs()[2]!,
      ]),
    status: 413,
    code: "too_many_elements",
  },
  {
    name: "a batch larger than the model allows",
    send: () =>
      inferJson(INFER.replace("multi-io", "limited"), [
        { ...goodInputs()[0]!, shape: [5, 1], data: new Float32Array(5) },
        { ...goodInputs()[1]!, shape: [1], data: new Float32Array(1) },
        goodInputs()[2]!,
      ]),
    status: 413,
    code: "batch_too_large",
  },
  {
    name: "a body over the size cap (Content-Length)",
    send: () => postJson(INFER, " ".repeat(4 * 1024 * 1024 + 1)),
    status: 413,
    code: "payload_too_large",
  },
  {
    name: "a streamed body over the size cap (no Content-Length)",
    send: () => {
      const chunk = new Uint8Array(1024 * 1024).fill(32);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 5) controller.enqueue(chunk);
          else controller.close();
        },
      });
      return call(INFER, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    },
    status: 413,
    code: "payload_too_large",
  },
  { name: "an unknown route", send: () => call("/v2/nothing-here"), status: 404, code: "not_found" },
];

beforeAll(async () => {
  expect((await uploadModel("multi-io", multiInputOutput())).status).toBe(201);
  expect((await uploadModel("fixed-relu", fixedShapeRelu())).status).toBe(201);
  expect(
    (
      await uploadModel("limited", multiInputOutput(), {
        manifest: { task: "tensor", limits: { maxElements: 8, maxBatch: 4 } },
      })
    ).status,
  ).toBe(201);
  await seedBundled("silero-vad");
});

describe("OIP inference errors", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, then a good request still works`, async () => {
      const response = await c.send();
      expect(response.status).toBe(c.status);
      expect(response.headers.get("X-Error-Code")).toBe(c.code);
      const body = (await response.json()) as { error: unknown };
      expect(typeof body.error, "OIP errors are {error: string}").toBe("string");
      if (c.message) expect(body.error).toMatch(c.message);

      const good = await inferBinary(INFER, goodInputs());
      expect(good.status).toBe(200);
    });
  }
});

describe("upload errors leave earlier versions untouched", () => {
  const upload = (name: string, version: string, body: BodyInit, type = "application/octet-stream") =>
    admin(`/admin/models/${name}/versions/${version}`, { method: "PUT", headers: { "Content-Type": type }, body });

  it("bytes that are not ONNX: 422, version 1 still serves", async () => {
    const response = await upload("multi-io", "2", new TextEncoder().encode("definitely not a protobuf"));
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({ code: "invalid_model" });
    const manifest = await json(admin("/admin/models/multi-io"));
    expect(Object.keys(manifest.versions)).toEqual(["1"]);
    expect((await inferJson(INFER, goodInputs())).status).toBe(200);
  });

  it("a valid protobuf that is not an ONNX model: 422", async () => {
    const response = await upload("multi-io", "2", Uint8Array.of(0x08, 0x96, 0x01)); // field 1 = 150, no graph
    expect(response.status).toBe(422);
    expect((await json(response)).error.message).toMatch(/no graph/);
  });

  it("an ONNX graph onnxruntime-web cannot load (unknown operator): 422 naming the operator", async () => {
    const { writeOnnxModel } = await import("../src/onnx/writer");
    const bytes = writeOnnxModel({
      inputs: [{ name: "x", elemType: 1, dims: [1] }],
      outputs: [{ name: "y", elemType: 1, dims: [1] }],
      nodes: [{ opType: "FrobnicateTensor", inputs: ["x"], outputs: ["y"] }],
    });
    const response = await upload("multi-io", "2", bytes);
    expect(response.status).toBe(422);
    expect((await json(response)).error.message).toMatch(/FrobnicateTensor/);
    expect(Object.keys((await json(admin("/admin/models/multi-io"))).versions)).toEqual(["1"]);
    expect((await inferJson(INFER, goodInputs())).status).toBe(200);
  });

  it("truncated weights of a real model: 422", async () => {
    const real = multiInputOutput();
    const response = await upload("multi-io", "2", real.subarray(0, real.byteLength - 7));
    expect(response.status).toBe(422);
  });

  it("an empty upload: 422; a wrong content type: 415; an upload to a model without a manifest: 404", async () => {
    expect((await upload("multi-io", "2", new Uint8Array(0))).status).toBe(422);
    expect((await upload("multi-io", "2", multiInputOutput(), "application/json")).status).toBe(415);
    expect((await upload("never-declared", "1", multiInputOutput())).status).toBe(404);
  });

  it("a manifest with an unknown field or a wrong type is rejected with 400 before anything is stored", async () => {
    const put = (body: unknown) =>
      admin("/admin/models/strict", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await put({ task: "tensor", colour: "blue" })).status).toBe(400);
    expect((await put({ task: "painting" })).status).toBe(400);
    expect((await put({ task: "tensor", limits: { maxBatch: -1 } })).status).toBe(400);
    expect((await admin("/admin/models/strict")).status).toBe(404);
  });

  it("admin routes without the token: 401 with distinct messages", async () => {
    const none = await call("/admin/models");
    const wrong = await call("/admin/models", { headers: { Authorization: "Bearer not-the-token" } });
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect((await json(none)).error.message).not.toBe((await json(wrong)).error.message);
  });
});
