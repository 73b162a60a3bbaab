/**
 * Any ONNX model an operator uploads is callable at once over OIP V2: every datatype onnxruntime-web runs, JSON
 * and binary tensors, several inputs and outputs, dynamic dimensions, int64 scalars and batches. Outputs are
 * compared with onnxruntime-node on the same model and inputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type FixtureDatatype, identityPerDatatype, multiInputOutput, ONNX_TYPES } from "./support/fixtures";
import {
  bytesOf,
  decodeResponse,
  float32Of,
  float32OfWire,
  inferBinary,
  inferJson,
  jsonElements,
  type TestTensor,
  type Typed,
  wireMap,
} from "./support/oip";
import { call, expectClose, fromBase64, json, randomFloats, referenceRun, uploadModel } from "./support/worker";

const identity = identityPerDatatype();
const multi = multiInputOutput();

beforeAll(async () => {
  expect((await uploadModel("identity-types", identity)).status).toBe(201);
  expect((await uploadModel("multi-io", multi)).status).toBe(201);
});

/** Sample values per datatype, including each type's extremes. */
function sample(datatype: FixtureDatatype): Typed {
  switch (datatype) {
    case "BOOL":
      return Uint8Array.of(1, 0, 1);
    case "UINT8":
      return Uint8Array.of(0, 7, 255);
    case "INT8":
      return Int8Array.of(-128, 0, 127);
    case "UINT16":
      return Uint16Array.of(0, 1000, 65535);
    case "INT16":
      return Int16Array.of(-32768, 5, 32767);
    case "UINT32":
      return Uint32Array.of(0, 123456, 4294967295);
    case "INT32":
      return Int32Array.of(-2147483648, -1, 2147483647);
    case "UINT64":
      return BigUint64Array.of(0n, 42n, 9007199254740991n);
    case "INT64":
      return BigInt64Array.of(-9007199254740991n, -1n, 9007199254740991n);
    case "FP16":
      return Uint16Array.of(0x3c00, 0xc000, 0x3555); // 1, -2, 0.333251953125
    case "FP32":
      return Float32Array.of(-1.5, 0, 3.4028234663852886e38);
    case "FP64":
      return Float64Array.of(Math.PI, -1e-300, 1e300);
  }
}

const DATATYPES = Object.keys(ONNX_TYPES) as FixtureDatatype[];
const allInputs = (): TestTensor[] =>
  DATATYPES.map((t) => ({ name: `in_${t}`, datatype: t, shape: [3], data: sample(t) }));

describe("every datatype round-trips exactly", () => {
  it("as binary tensors, byte for byte, equal to onnxruntime-node", async () => {
    const inputs = allInputs();
    const served = await decodeResponse(
      await inferBinary("/v2/models/identity-types/infer", inputs, { binaryOutputs: true }),
    );
    const expected = await referenceRun({ bytes: identity }, wireMap(inputs));
    for (const t of DATATYPES) {
      const out = served.outputs[`out_${t}`]!;
      expect(out.datatype).toBe(t);
      expect(out.shape).toEqual([3]);
      expect(out.bytes, t).toEqual(fromBase64(expected[`out_${t}`]!.base64));
      expect(out.bytes, t).toEqual(bytesOf(sample(t)));
    }
  });

  it("as JSON, with the values JSON can carry", async () => {
    const served = await decodeResponse(await inferJson("/v2/models/identity-types/infer", allInputs()));
    expect(served.outputs.out_BOOL!.json).toEqual([true, false, true]);
    expect(served.outputs.out_INT8!.json).toEqual([-128, 0, 127]);
    expect(served.outputs.out_UINT32!.json).toEqual([0, 123456, 4294967295]);
    expect(served.outputs.out_INT64!.json).toEqual([-9007199254740991, -1, 9007199254740991]);
    expect(served.outputs.out_FP16!.json).toEqual([1, -2, 0.333251953125]);
    expect(served.outputs.out_FP32!.json).toEqual([-1.5, 0, 3.4028234663852886e38]);
    expect(served.outputs.out_FP64!.json).toEqual([Math.PI, -1e-300, 1e300]);
  });

  it("FP16 given as JSON numbers is rounded to nearest even, like numpy", async () => {
    const inputs = allInputs();
    const fp16 = inputs.find((t) => t.datatype === "FP16")!;
    const body = {
      inputs: inputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        data: t === fp16 ? [0.1, 65504, 1e-8] : jsonElements(t),
      })),
      outputs: [{ name: "out_FP16", parameters: { binary_data: true } }],
    };
    const served = await decodeResponse(
      await call("/v2/models/identity-types/infer", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    // 0.1 -> 0x2e66, 65504 (max half) -> 0x7bff, 1e-8 underflows to +0
    expect(Array.from(new Uint16Array(served.outputs.out_FP16!.bytes!.buffer))).toEqual([0x2e66, 0x7bff, 0]);
  });

  it("64-bit integers beyond 2^53 stay exact through binary input and JSON output", async () => {
    const big = BigInt64Array.of(4611686018427387905n, -9223372036854775808n, 9223372036854775807n);
    const inputs = allInputs().map((t) => (t.datatype === "INT64" ? { ...t, data: big } : t));
    const response = await inferBinary("/v2/models/identity-types/infer", inputs, {
      outputs: [{ name: "out_INT64", binary: false }],
    });
    const text = await response.text();
    expect(text).toContain("[4611686018427387905,-9223372036854775808,9223372036854775807]");
  });
});

describe("several inputs and outputs, dynamic dimensions, an int64 scalar", () => {
  const inputs = (batch: number, n: number, k: bigint): TestTensor[] => [
    { name: "a", datatype: "FP32", shape: [batch, n], data: randomFloats(batch * 31 + n, batch * n) },
    { name: "b", datatype: "FP32", shape: [n], data: randomFloats(n, n) },
    { name: "k", datatype: "INT64", shape: [], data: BigInt64Array.of(k) },
  ];

  for (const [batch, n] of [
    [1, 4],
    [5, 17],
    [32, 1],
  ] as const) {
    it(`batch ${batch}, n ${n}: every output equals onnxruntime-node`, async () => {
      const request = inputs(batch, n, 3n);
      const served = await decodeResponse(await inferJson("/v2/models/multi-io/infer", request, { id: "abc" }));
      const expected = await referenceRun({ bytes: multi }, wireMap(request));
      expect(served.head).toMatchObject({ model_name: "multi-io", model_version: "1", id: "abc" });
      expect(Object.keys(served.outputs)).toEqual(["sum", "scaled", "shape"]);
      expectClose(float32Of(served.outputs.sum!), float32OfWire(expected.sum!), 0);
      expectClose(float32Of(served.outputs.scaled!), float32OfWire(expected.scaled!), 0);
      expect(served.outputs.shape).toMatchObject({ datatype: "INT64", shape: [2], json: [batch, n] });
    });
  }

  it("returns only the outputs asked for, each in the form asked for, in the order asked", async () => {
    const request = inputs(2, 3, 2n);
    const served = await decodeResponse(
      await inferBinary("/v2/models/multi-io/infer", request, {
        outputs: [{ name: "shape" }, { name: "scaled", binary: true }],
      }),
    );
    expect(Object.keys(served.outputs)).toEqual(["shape", "scaled"]);
    expect(served.outputs.shape!.json).toEqual([2, 3]);
    expect(served.outputs.scaled!.bytes).toBeDefined();
    expectClose(
      float32Of(served.outputs.scaled!),
      Float32Array.from(request[0]!.data as Float32Array, (v) => v * 2),
      0,
    );
  });

  it("describes the graph in its metadata with -1 for dynamic dimensions", async () => {
    expect(await json(call("/v2/models/multi-io"))).toMatchObject({
      inputs: [
        { name: "a", datatype: "FP32", shape: [-1, -1] },
        { name: "b", datatype: "FP32", shape: [-1] },
        { name: "k", datatype: "INT64", shape: [] },
      ],
      outputs: [
        { name: "sum", datatype: "FP32", shape: [-1, -1] },
        { name: "scaled", datatype: "FP32", shape: [-1, -1] },
        { name: "shape", datatype: "INT64", shape: [2] },
      ],
    });
  });

  it("accepts nested JSON data in row-major order", async () => {
    const body = {
      inputs: [
        {
          name: "a",
          datatype: "FP32",
          shape: [2, 2],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
        { name: "b", datatype: "FP32", shape: [2], data: [10, 20] },
        { name: "k", datatype: "INT64", shape: [], data: [1] },
      ],
      outputs: [{ name: "sum" }],
    };
    const served = await decodeResponse(
      await call("/v2/models/multi-io/infer", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    expect(served.outputs.sum!.json).toEqual([11, 22, 13, 24]);
  });
});
