/**
 * OIP `BYTES` tensors are onnxruntime string tensors, in and out: strings in JSON, and in the binary tensor data
 * extension each element as a 4-byte little-endian length then its bytes (Triton's layout; the encoder here is
 * test/support/oip.ts, written from the spec). Outputs are compared with onnxruntime-node on the same model.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { stringIdentityAndLookup } from "./support/fixtures";
import {
  bytesOf,
  decodeResponse,
  inferBinary,
  inferJson,
  lengthPrefixed,
  stringsOfBytes,
  wireMap,
} from "./support/oip";
import { call, json, referenceRun, uploadModel } from "./support/worker";

const model = stringIdentityAndLookup();
const INFER = "/v2/models/strings/infer";
/** Empty, accented, astral, a leading byte-order mark, a long one. */
const TEXTS = ["", "hello", "héllo wörld", "😀 emoji", "\ufeffbom first", "x".repeat(5000)];
const input = () => [{ name: "text", datatype: "BYTES", shape: [TEXTS.length], data: [...TEXTS] }];

beforeAll(async () => {
  expect((await uploadModel("strings", model)).status).toBe(201);
});

describe("BYTES tensors", () => {
  it("are declared BYTES in the model's metadata", async () => {
    const metadata = await json(call("/v2/models/strings"));
    expect(metadata.inputs).toEqual([{ name: "text", datatype: "BYTES", shape: [-1] }]);
    expect(metadata.outputs.map((o: { datatype: string }) => o.datatype)).toEqual(["BYTES", "BYTES"]);
  });

  it("round-trip as JSON strings, and the computed output equals onnxruntime-node's", async () => {
    const served = await decodeResponse(await inferJson(INFER, input()));
    const expected = await referenceRun({ bytes: model }, wireMap(input()));
    expect(served.outputs.same).toMatchObject({ datatype: "BYTES", shape: [TEXTS.length], json: TEXTS });
    expect(served.outputs.translated!.json).toEqual(expected.translated!.strings);
    expect(served.outputs.translated!.json).toEqual(["?", "bonjour", "🌍", "?", "?", "?"]);
  });

  it("round-trip in binary, byte for byte, length-prefixed as Triton writes them", async () => {
    const served = await decodeResponse(await inferBinary(INFER, input(), { binaryOutputs: true }));
    const expected = await referenceRun({ bytes: model }, wireMap(input()));
    expect(served.outputs.same!.bytes).toEqual(bytesOf(TEXTS));
    expect(stringsOfBytes(served.outputs.translated!.bytes!)).toEqual(expected.translated!.strings);
  });

  it("mix: binary in, JSON out, and JSON in, binary out, agree", async () => {
    const binaryIn = await decodeResponse(await inferBinary(INFER, input()));
    const jsonIn = await decodeResponse(await inferJson(INFER, input(), { outputs: [{ name: "same", binary: true }] }));
    expect(binaryIn.outputs.same!.json).toEqual(TEXTS);
    expect(stringsOfBytes(jsonIn.outputs.same!.bytes!)).toEqual(TEXTS);
  });

  it("are nested in JSON as their shape says: flat for [2]; nested one level deeper than the shape is a 400", async () => {
    const send = (data: unknown) =>
      call("/v2/models/strings/infer", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [2], data }] }),
      });
    expect((await decodeResponse(await send(["hello", "b"]))).outputs.translated!.json).toEqual(["bonjour", "?"]);
    const overNested = await send([["hello"], ["b"]]);
    expect(overNested.status).toBe(400);
    expect((await json(overNested)).error).toMatch(
      /ragged data: data\[0\] is an array where shape \[2\] needs an element/,
    );
  });
});

/** A binary request with `payload` as the BYTES data of `text`, declared as `count` elements. */
function binaryBytes(payload: Uint8Array, count: number): Promise<Response> {
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [
        { name: "text", datatype: "BYTES", shape: [count], parameters: { binary_data_size: payload.byteLength } },
      ],
    }),
  );
  const body = new Uint8Array(header.byteLength + payload.byteLength);
  body.set(header);
  body.set(payload, header.byteLength);
  return call(INFER, {
    method: "POST",
    headers: {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.byteLength),
    },
    body,
  });
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("bad BYTES data gets a 400 naming the input and element, and a good request follows", () => {
  const cases: { name: string; send: () => Promise<Response>; message: RegExp }[] = [
    {
      name: "a length prefix running past the data",
      send: () => binaryBytes(lengthPrefixed([utf8("abc")]).subarray(0, 5), 1),
      message: /element 0 declares 3 bytes but only 1 remain/,
    },
    {
      name: "fewer elements than the shape",
      send: () => binaryBytes(lengthPrefixed([utf8("a")]), 2),
      message: /end before element 1 of 2/,
    },
    {
      name: "bytes left after the last element",
      send: () => binaryBytes(Uint8Array.of(...lengthPrefixed([utf8("a")]), 7), 1),
      message: /1 bytes of BYTES data after its 1 elements/,
    },
    {
      name: "an element that is not UTF-8",
      send: () => binaryBytes(lengthPrefixed([utf8("ok"), Uint8Array.of(0xff, 0xfe)]), 2),
      message: /element 1 is not valid UTF-8/,
    },
    {
      name: "a NUL inside an element (onnxruntime-web would cut the string there)",
      send: () => inferJson(INFER, [{ name: "text", datatype: "BYTES", shape: [1], data: ["nul\u0000inside"] }]),
      message: /element 0 contains a NUL character/,
    },
    {
      name: "a NUL inside a binary element",
      send: () => binaryBytes(lengthPrefixed([utf8("a\u0000b")]), 1),
      message: /element 0 contains a NUL character/,
    },
    {
      name: "a number among JSON strings",
      send: () =>
        inferJson(INFER, [{ name: "text", datatype: "BYTES", shape: [2], data: ["a", 5 as unknown as string] }]),
      message: /element 1 \(5\) is not a string/,
    },
    {
      name: "FP32 for a BYTES input",
      send: () => inferJson(INFER, [{ name: "text", datatype: "FP32", shape: [1], data: Float32Array.of(1) }]),
      message: /must be BYTES, got FP32/,
    },
  ];
  for (const { name, send, message } of cases) {
    it(name, async () => {
      const response = await send();
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
      const good = await decodeResponse(
        await inferJson(INFER, [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello"] }]),
      );
      expect(good.outputs.translated!.json).toEqual(["bonjour"]);
    });
  }
});
