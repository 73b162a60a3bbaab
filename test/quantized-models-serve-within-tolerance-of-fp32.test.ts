/**
 * The quantizer (tools/quantize/, pure TypeScript) runs inside workerd: its int8 weights times their scales are within
 * half a scale of the original weights; its opset upgrade changes no output; and quantized versions of bundled models
 * upload, serve, and stay within a measured tolerance of the float32 original run by onnxruntime-node (the
 * independent reference) on the same inputs.
 */
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, float32Values, type TensorProto } from "../src/onnx/model";
import { float32Initializer, writeOnnxModel } from "../src/onnx/writer";
import { dequantizePerChannel } from "../tools/quantize/int8";
import { upgradeOpset } from "../tools/quantize/opset-upgrade";
import { type QuantizeOptions, quantizeModel } from "../tools/quantize/quantize";
import {
  decodeResponse,
  float32Of,
  float32OfWire,
  inferBinary,
  randomImageInput,
  type TestTensor,
  wireMap,
} from "./support/oip";
import {
  BUNDLED,
  type BundledName,
  expectClose,
  randomFloats,
  referenceRun,
  repoFile,
  uploadModel,
} from "./support/worker";

function int8Values(tensor: TensorProto): Int8Array {
  return new Int8Array(tensor.rawData.slice().buffer);
}

describe("the quantizer's int8 weights", () => {
  it("dequantize to within scale / 2 of the original, per output channel (a MatMul B [64, 16] and a Conv W [8, 4, 3, 3])", () => {
    const b = randomFloats(7, 64 * 16, -0.5, 0.5);
    const w = randomFloats(8, 8 * 4 * 9, -2, 2).map((v, i) => (Math.floor(i / 36) === 3 ? v * 0.001 : v)); // one channel 1000× smaller
    const original = writeOnnxModel({
      opset: 13,
      inputs: [
        { name: "a", elemType: 1, dims: [1, 64] },
        { name: "x", elemType: 1, dims: [1, 4, 5, 5] },
      ],
      outputs: [
        { name: "y", elemType: 1, dims: [1, 16] },
        { name: "z", elemType: 1, dims: [1, 8, 3, 3] },
      ],
      initializers: [float32Initializer("b", [64, 16], b), float32Initializer("w", [8, 4, 3, 3], w)],
      nodes: [
        { opType: "MatMul", inputs: ["a", "b"], outputs: ["y"] },
        { opType: "Conv", inputs: ["x", "w"], outputs: ["z"] },
      ],
    });
    const { bytes, report } = quantizeModel(original, { mode: "weight-int8", minElements: 16 });
    expect(report.weights.quantized.map((q) => [q.name, q.axis])).toEqual([
      ["b", 1],
      ["w", 0],
    ]);
    const graph = decodeModel(bytes).graph!;
    const find = (name: string) => graph.initializer.find((t) => t.name === name)!;
    for (const [name, dims, axis, weights] of [
      ["b", [64, 16], 1, b],
      ["w", [8, 4, 3, 3], 0, w],
    ] as const) {
      const scales = float32Values(find(`${name}_scale`))!;
      expect(scales.length).toBe(dims[axis]);
      const restored = dequantizePerChannel({ values: int8Values(find(`${name}_quantized`)), scales, axis }, dims);
      const channelOf = (i: number) => Math.floor(i / dims.slice(axis + 1).reduce((p, d) => p * d, 1)) % dims[axis]!;
      for (let i = 0; i < weights.length; i++) {
        expect(Math.abs(restored[i]! - weights[i]!), `element ${i}`).toBeLessThanOrEqual(
          scales[channelOf(i)]! / 2 + 1e-9,
        );
      }
    }
    expect(graph.node.filter((n) => n.opType === "DequantizeLinear").map((n) => n.output[0])).toEqual(["b", "w"]);
  });
});

describe("the opset upgrade", () => {
  const upsample = (opset: number) =>
    writeOnnxModel({
      opset,
      inputs: [{ name: "x", elemType: 1, dims: [1, 4, 8, 8] }],
      outputs: [{ name: "y", elemType: 1, dims: [1, 8, 12, 12] }],
      initializers: [
        float32Initializer("w", [8, 4, 3, 3], randomFloats(9, 288)),
        float32Initializer("scales", [4], [1, 1, 2, 2]),
      ],
      nodes: [
        { opType: "Conv", inputs: ["x", "w"], outputs: ["c"] },
        { opType: "Upsample", inputs: ["c", "scales"], outputs: ["y"] },
      ],
    });

  it("refuses, naming the operator, when an operator changed in a way it does not rewrite (Upsample, opset 9)", () => {
    expect(() => quantizeModel(upsample(9), { mode: "weight-int8", minElements: 16 })).toThrow(
      /Upsample changed between opset 9 and 13/,
    );
  });

  it("is not needed by weight-int8-folded, which keeps the model's opset", () => {
    const { report } = quantizeModel(upsample(9), { mode: "weight-int8-folded", minElements: 16 });
    expect(report.opset).toEqual({ from: 9, to: 9, rewrites: [] });
    expect(report.weights.quantized.map((q) => q.name)).toEqual(["w"]);
    expect(report.weights.keptFloat).toEqual([
      { reason: "fewer than 16 elements", tensors: 1, elements: 4, examples: ["scales"] },
    ]);
  });
});

/** Uploads `bytes` as a version of a fresh model, serves `inputs` and compares with onnxruntime-node on the bundled original. */
async function expectNearOriginal(
  bundled: BundledName,
  version: string,
  bytes: Uint8Array,
  inputs: TestTensor[],
  tolerance: number | Record<string, number>,
) {
  const model = `${bundled}-quantized`;
  const upload = await uploadModel(model, bytes, { version });
  expect(upload.status, await upload.clone().text()).toBe(201);
  const served = await decodeResponse(await inferBinary(`/v2/models/${model}/versions/${version}/infer`, inputs));
  const expected = await referenceRun({ bundled, version: "1" }, wireMap(inputs));
  for (const [name, reference] of Object.entries(expected)) {
    expect(served.outputs[name]!.shape).toEqual(reference.shape);
    expectClose(
      float32Of(served.outputs[name]!),
      float32OfWire(reference),
      typeof tolerance === "number" ? tolerance : tolerance[name]!,
    );
  }
}

async function quantizedBundled(name: BundledName, options: QuantizeOptions) {
  return quantizeModel(await repoFile(BUNDLED[name]!.versions["1"]!.file), options);
}

describe("quantized bundled models serve within tolerance of the float32 original (onnxruntime-node)", () => {
  it("ppocr-cls upgraded from opset 9 to 13 alone gives the original's outputs", async () => {
    const model = decodeModel(await repoFile(BUNDLED["ppocr-cls"]!.versions["1"]!.file));
    const upgrade = upgradeOpset(model, 13);
    expect(upgrade).toMatchObject({ from: 9, to: 13 });
    await expectNearOriginal("ppocr-cls", "opset13", encodeModel(model), randomImageInput(71, [2, 3, 48, 192]), 1e-5);
  });

  // measured: max abs drift 2.6e-4 on the benchmark's sample input, 2.9e-3 on these (probabilities in [0, 1])
  for (const mode of ["weight-int8", "weight-int8-folded"] as const) {
    it(`ppocr-cls ${mode}: 2.3× smaller, probabilities within 5e-3`, async () => {
      const { bytes, report } = await quantizedBundled("ppocr-cls", { mode });
      expect(report.bytes.ratio).toBeGreaterThan(2.2);
      await expectNearOriginal("ppocr-cls", mode, bytes, randomImageInput(72, [2, 3, 48, 192]), 5e-3);
    });
  }

  // measured on these noise frames: |Δp| 0.0012, state 0.256 (on real speech, 99.4 % of 32 ms frames keep their decision)
  it("silero-vad weight-int8: DequantizeLinear inside If branches, weights from Constant nodes; 3.2× smaller", async () => {
    const { bytes, report } = await quantizedBundled("silero-vad", { mode: "weight-int8" });
    expect(report.bytes.ratio).toBeGreaterThan(3.2);
    expect(report.ops.after.DequantizeLinear).toBe(report.weights.quantized.length);
    expect(report.ops.after.Constant).toBe(report.ops.before.Constant! - report.weights.quantized.length);
    const inputs: TestTensor[] = [
      { name: "input", datatype: "FP32", shape: [2, 512], data: randomFloats(73, 1024, -0.5, 0.5) },
      { name: "state", datatype: "FP32", shape: [2, 2, 128], data: new Float32Array(512) },
      { name: "sr", datatype: "INT64", shape: [], data: BigInt64Array.of(16000n) },
    ];
    await expectNearOriginal("silero-vad", "weight-int8", bytes, inputs, { output: 0.01, stateN: 0.3 });
  });

  // measured: max abs drift 4.3e-2 on hidden states whose values span about ±4
  it("bert-fixture dynamic-int8 (DynamicQuantizeLinear + MatMulInteger): 3× smaller, hidden states within 0.1", async () => {
    const { bytes, report } = await quantizedBundled("bert-fixture", {
      mode: "dynamic-int8",
      rest: "weight-int8-folded",
    });
    expect(report.ops.after.MatMulInteger).toBeGreaterThan(0);
    expect(report.bytes.ratio).toBeGreaterThan(3);
    const ids = BigInt64Array.from({ length: 16 }, (_, i) => BigInt(100 + i * 7));
    const inputs: TestTensor[] = [
      { name: "input_ids", datatype: "INT64", shape: [1, 16], data: ids },
      { name: "attention_mask", datatype: "INT64", shape: [1, 16], data: new BigInt64Array(16).fill(1n) },
      { name: "token_type_ids", datatype: "INT64", shape: [1, 16], data: new BigInt64Array(16) },
    ];
    await expectNearOriginal("bert-fixture", "dynamic-int8", bytes, inputs, 0.1);
  });
});
