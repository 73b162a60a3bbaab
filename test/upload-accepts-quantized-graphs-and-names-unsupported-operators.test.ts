/**
 * The admin upload accepts quantized graphs onnxruntime-web runs (QLinearConv, MatMulInteger, MatMulNBits) and
 * serves them with the same outputs as onnxruntime-node; a graph using an operator the WASM build has no kernel for
 * is refused with 422 invalid_model naming the operator, its domain and opset, and the model's versions stay as
 * they were.
 */
import { describe, expect, it } from "vitest";
import { type InitializerSpec, type ModelSpec, writeOnnxModel } from "../src/onnx/writer";
import { decodeResponse, float32Of, float32OfWire, inferBinary, type TestTensor, wireMap } from "./support/oip";
import { admin, expectClose, json, randomFloats, referenceRun, uploadModel } from "./support/worker";

const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;

const int8Init = (name: string, dims: number[], values: number[]): InitializerSpec => ({
  name,
  elemType: INT8,
  dims,
  raw: new Uint8Array(Int8Array.from(values).buffer),
});
const uint8Init = (name: string, dims: number[], values: number[]): InitializerSpec => ({
  name,
  elemType: UINT8,
  dims,
  raw: Uint8Array.from(values),
});
const floatInit = (name: string, dims: number[], values: number[]): InitializerSpec => ({
  name,
  elemType: FLOAT,
  dims,
  raw: new Uint8Array(Float32Array.from(values).buffer),
});
const pattern = (count: number, f: (i: number) => number) => Array.from({ length: count }, (_, i) => f(i));

/** Static int8 conv: QuantizeLinear → QLinearConv → DequantizeLinear on x [1, 3, 8, 8]. */
function qlinearConv(): Uint8Array {
  return writeOnnxModel({
    opset: 13,
    inputs: [{ name: "x", elemType: FLOAT, dims: [1, 3, 8, 8] }],
    outputs: [{ name: "y", elemType: FLOAT, dims: [1, 4, 6, 6] }],
    initializers: [
      floatInit("x_scale", [], [0.02]),
      uint8Init("x_zero", [], [128]),
      int8Init(
        "w",
        [4, 3, 3, 3],
        pattern(108, (i) => ((i * 37) % 255) - 127),
      ),
      floatInit("w_scale", [4], [0.01, 0.02, 0.005, 0.03]),
      int8Init("w_zero", [4], [0, 0, 0, 0]),
      floatInit("y_scale", [], [0.05]),
      uint8Init("y_zero", [], [128]),
    ],
    nodes: [
      { opType: "QuantizeLinear", inputs: ["x", "x_scale", "x_zero"], outputs: ["xq"] },
      {
        opType: "QLinearConv",
        inputs: ["xq", "x_scale", "x_zero", "w", "w_scale", "w_zero", "y_scale", "y_zero"],
        outputs: ["yq"],
      },
      { opType: "DequantizeLinear", inputs: ["yq", "y_scale", "y_zero"], outputs: ["y"] },
    ],
  });
}

/** Dynamic int8 MatMul: DynamicQuantizeLinear(a) → MatMulInteger(a_q, int8 b) → Cast → × scales, a [2, 16]. */
function matMulInteger(): Uint8Array {
  return writeOnnxModel({
    opset: 13,
    inputs: [{ name: "a", elemType: FLOAT, dims: [2, 16] }],
    outputs: [{ name: "y", elemType: FLOAT, dims: [2, 8] }],
    initializers: [
      int8Init(
        "b",
        [16, 8],
        pattern(128, (i) => ((i * 53) % 255) - 127),
      ),
      floatInit(
        "b_scale",
        [8],
        pattern(8, (i) => 0.01 * (i + 1)),
      ),
    ],
    nodes: [
      { opType: "DynamicQuantizeLinear", inputs: ["a"], outputs: ["aq", "a_scale", "a_zero"] },
      { opType: "MatMulInteger", inputs: ["aq", "b", "a_zero"], outputs: ["y_int"] },
      { opType: "Cast", inputs: ["y_int"], outputs: ["y_float"], attributes: { to: FLOAT } },
      { opType: "Mul", inputs: ["a_scale", "b_scale"], outputs: ["scale"] },
      { opType: "Mul", inputs: ["y_float", "scale"], outputs: ["y"] },
    ],
  });
}

/** com.microsoft MatMulNBits, 4 bits in blocks of 16 along K: a [1, 32] × B [32 → 8]. */
function matMulNBits(): Uint8Array {
  return writeOnnxModel({
    opset: 13,
    domainOpsets: [{ domain: "com.microsoft", version: 1 }],
    inputs: [{ name: "a", elemType: FLOAT, dims: [1, 32] }],
    outputs: [{ name: "y", elemType: FLOAT, dims: [1, 8] }],
    initializers: [
      uint8Init(
        "b",
        [8, 2, 8],
        pattern(128, (i) => (i * 29) % 256),
      ),
      floatInit(
        "scales",
        [16],
        pattern(16, (i) => 0.01 * (i + 1)),
      ),
    ],
    nodes: [
      {
        opType: "MatMulNBits",
        domain: "com.microsoft",
        inputs: ["a", "b", "scales"],
        outputs: ["y"],
        attributes: { K: 32, N: 8, bits: 4, block_size: 16 },
      },
    ],
  });
}

function oneNode(
  opType: string,
  options: { domain?: string; domainOpsets?: ModelSpec["domainOpsets"]; inputType?: number } = {},
): Uint8Array {
  const type = options.inputType ?? FLOAT;
  return writeOnnxModel({
    opset: 13,
    domainOpsets: options.domainOpsets,
    inputs: [{ name: "x", elemType: type, dims: [2, 4] }],
    outputs: [{ name: "y", elemType: type, dims: [2, 4] }],
    nodes: [{ opType, domain: options.domain, inputs: ["x"], outputs: ["y"] }],
  });
}

async function expectServedLikeReference(model: string, bytes: Uint8Array, inputs: TestTensor[], tolerance: number) {
  const upload = await uploadModel(model, bytes);
  expect(upload.status, await upload.clone().text()).toBe(201);
  const served = await decodeResponse(await inferBinary(`/v2/models/${model}/infer`, inputs));
  const expected = await referenceRun({ bytes }, wireMap(inputs));
  expectClose(float32Of(served.outputs.y!), float32OfWire(expected.y!), tolerance);
}

describe("quantized graphs onnxruntime-web runs are accepted and served like onnxruntime-node", () => {
  it("QLinearConv (static int8, QDQ around it)", async () => {
    await expectServedLikeReference(
      "q-qlinearconv",
      qlinearConv(),
      [{ name: "x", datatype: "FP32", shape: [1, 3, 8, 8], data: randomFloats(61, 192) }],
      1e-5,
    );
  });

  it("DynamicQuantizeLinear + MatMulInteger", async () => {
    await expectServedLikeReference(
      "q-matmulinteger",
      matMulInteger(),
      [{ name: "a", datatype: "FP32", shape: [2, 16], data: randomFloats(62, 32) }],
      1e-4,
    );
  });

  it("com.microsoft MatMulNBits (4 bits)", async () => {
    await expectServedLikeReference(
      "q-matmulnbits",
      matMulNBits(),
      [{ name: "a", datatype: "FP32", shape: [1, 32], data: randomFloats(63, 32) }],
      1e-4,
    );
  });
});

describe("operators onnxruntime-web cannot run are refused with 422 naming them", () => {
  const refused = async (model: string, bytes: Uint8Array) => {
    const response = await uploadModel(model, bytes);
    expect(response.status).toBe(422);
    const body = await json(response);
    expect(body.error.code).toBe("invalid_model");
    return body.error.message as string;
  };

  it("a com.microsoft operator the WASM build has no kernel for (QOrderedMatMul, a CUDA kernel)", async () => {
    const bytes = writeOnnxModel({
      opset: 13,
      domainOpsets: [{ domain: "com.microsoft", version: 1 }],
      inputs: [{ name: "a", elemType: INT8, dims: [2, 4] }],
      outputs: [{ name: "y", elemType: INT8, dims: [2, 4] }],
      initializers: [
        floatInit("s", [], [1]),
        int8Init(
          "b",
          [4, 4],
          pattern(16, (i) => i),
        ),
      ],
      nodes: [
        {
          opType: "QOrderedMatMul",
          domain: "com.microsoft",
          inputs: ["a", "s", "b", "s", "s"],
          outputs: ["y"],
          attributes: { order_A: 1, order_B: 1, order_Y: 1 },
        },
      ],
    });
    const message = await refused("q-unsupported-contrib", bytes);
    expect(message).toContain(
      "operator 'QOrderedMatMul' (domain com.microsoft, opset 1) cannot run in onnxruntime-web",
    );
  });

  it("an operator no opset defines", async () => {
    const message = await refused("q-made-up", oneNode("Frobnicate"));
    expect(message).toContain("operator 'Frobnicate' (domain ai.onnx, opset 13) cannot run");
  });

  it("an operator in a domain the model does not import", async () => {
    const message = await refused("q-unknown-domain", oneNode("Relu", { domain: "org.example" }));
    expect(message).toContain("operator 'Relu' (domain org.example) cannot run");
  });

  it("a refused version leaves the model's versions as they were", async () => {
    const before = await uploadModel("q-keeps-versions", oneNode("Relu"));
    expect(before.status).toBe(201);
    const response = await admin("/admin/models/q-keeps-versions/versions/2", {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: oneNode("Frobnicate"),
    });
    expect(response.status).toBe(422);
    const stored = await json(admin("/admin/models/q-keeps-versions"));
    expect(Object.keys(stored.versions)).toEqual(["1"]);
    expect(stored.aliases.default).toBe("1");
  });
});
