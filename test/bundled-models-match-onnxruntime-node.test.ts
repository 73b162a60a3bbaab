/**
 * Every bundled model, served over OIP V2 by onnxruntime-web inside workerd, gives the same outputs as native
 * onnxruntime-node on the same inputs (within 1e-4 absolute), as JSON and as binary tensors, single and batched.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeResponse,
  float32Of,
  float32OfWire,
  inferBinary,
  inferJson,
  randomImageInput,
  type TestTensor,
  wireMap,
} from "./support/oip";
import {
  admin,
  BUNDLED,
  type BundledName,
  call,
  expectClose,
  json,
  randomFloats,
  referenceRun,
  seedBundled,
} from "./support/worker";

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await seedBundled("silero-vad", "ppocr-rec", "ppocr-cls");
});

function vadInputs(seed: number, batch: number, state?: Float32Array): TestTensor[] {
  return [
    { name: "input", datatype: "FP32", shape: [batch, 512], data: randomFloats(seed, batch * 512, -0.5, 0.5) },
    { name: "state", datatype: "FP32", shape: [2, batch, 128], data: state ?? new Float32Array(2 * batch * 128) },
    { name: "sr", datatype: "INT64", shape: [], data: BigInt64Array.of(16000n) },
  ];
}

async function expectParity(model: BundledName, inputs: TestTensor[], send: typeof inferJson) {
  const served = await decodeResponse(await send(`/v2/models/${model}/infer`, inputs));
  const expected = await referenceRun({ bundled: model }, wireMap(inputs));
  expect(Object.keys(served.outputs).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, reference] of Object.entries(expected)) {
    expect(served.outputs[name]!.shape).toEqual(reference.shape);
    expectClose(float32Of(served.outputs[name]!), float32OfWire(reference), TOLERANCE);
  }
  return served;
}

describe("served outputs equal onnxruntime-node", () => {
  for (const [label, send] of [
    ["JSON", inferJson],
    ["binary", inferBinary],
  ] as const) {
    it(`silero-vad, ${label}, batch of 1 and of 4`, async () => {
      await expectParity("silero-vad", vadInputs(1, 1), send);
      await expectParity("silero-vad", vadInputs(2, 4), send);
    });

    it(`ppocr-rec, ${label}, a 320-pixel line and a batch of 3 at another width`, async () => {
      await expectParity("ppocr-rec", randomImageInput(3, [1, 3, 48, 320]), send);
      await expectParity("ppocr-rec", randomImageInput(4, [3, 3, 48, 160]), send);
    });

    it(`ppocr-cls, ${label}, batch of 2`, async () => {
      await expectParity("ppocr-cls", randomImageInput(5, [2, 3, 48, 192]), send);
    });
  }

  it("silero-vad carries its state across frames exactly as the reference does", async () => {
    let state: Float32Array = new Float32Array(2 * 128);
    let referenceState = state;
    for (let frame = 0; frame < 4; frame++) {
      const inputs = vadInputs(100 + frame, 1, state);
      const served = await decodeResponse(
        await inferBinary("/v2/models/silero-vad/infer", inputs, { binaryOutputs: true }),
      );
      const expected = await referenceRun(
        { bundled: "silero-vad" },
        wireMap(vadInputs(100 + frame, 1, referenceState)),
      );
      expectClose(float32Of(served.outputs.output!), float32OfWire(expected.output!), TOLERANCE);
      state = float32Of(served.outputs.stateN!).slice();
      referenceState = float32OfWire(expected.stateN!);
      expectClose(state, referenceState, TOLERANCE);
    }
  });
});

describe("metadata matches the bundled manifests", () => {
  beforeAll(async () => {
    await seedBundled(...Object.keys(BUNDLED));
  }, 300_000);

  for (const [name, bundled] of Object.entries(BUNDLED)) {
    it(`${name}: digest, size, signature and assets read from the model equal models/${name}.json`, async () => {
      const stored = await json(admin(`/admin/models/${name}`));
      expect(Object.keys(stored.versions).sort()).toEqual(Object.keys(bundled.versions).sort());
      for (const [versionName, expected] of Object.entries(bundled.versions)) {
        const version = stored.versions[versionName];
        // a classifier exported with ZipMap is served rewritten; the manifest names the file as uploaded
        expect(version.original?.sha256 ?? version.sha256).toBe(expected.sha256);
        expect(version.original?.bytes ?? version.bytes).toBe(expected.bytes);
        expect({ inputs: version.inputs, outputs: version.outputs }).toEqual({
          inputs: expected.inputs,
          outputs: expected.outputs,
        });
        // its memory was measured at upload: the session's (0 for a model of a few hundred bytes that fits in what
        // its loading freed), and a run's (or why it could not be)
        expect(version.runtime.memory.sessionBytes).toBeGreaterThanOrEqual(version.bytes > 100_000 ? 1 : 0);
        expect(version.runtime.memory.run ?? version.runtime.memory.note).toBeDefined();
        const assets = Object.fromEntries(
          Object.entries(expected.assets ?? {}).map(([asset, { sha256, bytes }]) => [asset, { sha256, bytes }]),
        );
        expect(version.assets ?? {}).toEqual(assets);
        const metadata = await json(call(`/v2/models/${name}/versions/${versionName}`));
        expect(metadata).toMatchObject({
          name,
          platform: "onnx_onnxv1",
          inputs: expected.inputs,
          outputs: expected.outputs,
          parameters: { task: bundled.task },
        });
        expect(await json(call(`/v2/models/${name}/versions/${versionName}/ready`))).toMatchObject({
          name,
          ready: true,
        });
      }
      expect(stored.aliases.default).toBe(bundled.aliases.default);
    });
  }
});
