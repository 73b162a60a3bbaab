/**
 * `npm run dev` speaks the Open Inference Protocol as its REST specification writes it, with Triton's binary tensor
 * data and model repository extensions, the way tritonclient uses them: every response is validated with ajv
 * against schemas transcribed from the specification (./support/open-inference-protocol.ts), every datatype
 * round-trips in JSON and in binary, and bodies may be gzip- or deflate-compressed both ways (a 10 MB gzip
 * inflating to 2 GB is a 413, and the server keeps serving). Requests are written here from the documents, over
 * plain HTTP (node:http, so compressed bytes are seen as sent).
 */
import http from "node:http";
import zlib from "node:zlib";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledManifests } from "../../scripts/lib/bundled-models";
import { writeOnnxModel } from "../../src/onnx/writer";
import { devServer } from "./dev-server";
import { DATATYPE_SIZES, OIP_SCHEMAS, type OipSchemaName, type SpecDatatype } from "./support/open-inference-protocol";

const MODEL = "oip-conformance-identity";
const INFER = `/v2/models/${MODEL}/infer`;
const INFER_HEADER = "inference-header-content-length";

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(OIP_SCHEMAS);

function expectConforms(schema: OipSchemaName, value: unknown): void {
  const valid = ajv.validate(`oip#/definitions/${schema}`, value);
  expect(valid, `${schema}: ${ajv.errorsText()}\n${JSON.stringify(value).slice(0, 2000)}`).toBe(true);
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP exchange as sent and received on the wire (no automatic decompression). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Raw> {
  const { baseUrl, apiKey } = devServer();
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(path, baseUrl),
      { method, headers: { Authorization: `Bearer ${apiKey}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    // a server may answer (413) before it read all of a large body; the answer is what counts
    let answered = false;
    request.on("response", () => (answered = true));
    request.on("error", (error) => (answered ? undefined : reject(error)));
    if (body) request.write(body);
    request.end();
  });
}

const jsonOf = (raw: Raw) => JSON.parse(raw.body.toString("utf8"));
const get = (path: string) => send("GET", path);

/** Three elements of each datatype: as JSON values, and as the binary extension's little-endian bytes. */
const u64 = (values: bigint[]) => Buffer.from(BigUint64Array.from(values).buffer);
const i64 = (values: bigint[]) => Buffer.from(BigInt64Array.from(values).buffer);
function lengthPrefixed(strings: string[]): Buffer {
  return Buffer.concat(
    strings.flatMap((s) => {
      const bytes = Buffer.from(s, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}
const TENSORS: Record<SpecDatatype, { json: unknown[]; bytes: Buffer }> = {
  BOOL: { json: [true, false, true], bytes: Buffer.from([1, 0, 1]) },
  UINT8: { json: [0, 255, 7], bytes: Buffer.from([0, 255, 7]) },
  UINT16: { json: [0, 65535, 1], bytes: Buffer.from(Uint16Array.of(0, 65535, 1).buffer) },
  UINT32: { json: [0, 4294967295, 5], bytes: Buffer.from(Uint32Array.of(0, 4294967295, 5).buffer) },
  UINT64: { json: [0, Number.MAX_SAFE_INTEGER, 5], bytes: u64([0n, 2n ** 64n - 1n, 5n]) },
  INT8: { json: [-128, 127, 0], bytes: Buffer.from(Int8Array.of(-128, 127, 0).buffer) },
  INT16: { json: [-32768, 32767, 0], bytes: Buffer.from(Int16Array.of(-32768, 32767, 0).buffer) },
  INT32: { json: [-2147483648, 2147483647, 0], bytes: Buffer.from(Int32Array.of(-2147483648, 2147483647, 0).buffer) },
  INT64: {
    json: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0],
    bytes: i64([-(2n ** 63n), 2n ** 63n - 1n, 0n]),
  },
  // IEEE half bits of 0.5, -2 and 65504 (the largest half)
  FP16: { json: [0.5, -2, 65504], bytes: Buffer.from(Uint16Array.of(0x3800, 0xc000, 0x7bff).buffer) },
  FP32: {
    json: [1.5, -0.25, 3.4028234663852886e38],
    bytes: Buffer.from(Float32Array.of(1.5, -0.25, 3.4028234663852886e38).buffer),
  },
  FP64: {
    json: [Math.PI, -1e-300, Number.MAX_VALUE],
    bytes: Buffer.from(Float64Array.of(Math.PI, -1e-300, Number.MAX_VALUE).buffer),
  },
  BYTES: { json: ["", "héllo wörld", "😀 ∑"], bytes: lengthPrefixed(["", "héllo wörld", "😀 ∑"]) },
};
const DATATYPES = Object.keys(DATATYPE_SIZES) as SpecDatatype[];

/** ONNX element types (TensorProto.DataType) of the OIP datatypes, from onnx.proto. */
const ONNX_ELEMENT: Record<SpecDatatype, number> = {
  BOOL: 9,
  UINT8: 2,
  UINT16: 4,
  UINT32: 12,
  UINT64: 13,
  INT8: 3,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  FP16: 10,
  FP32: 1,
  FP64: 11,
  BYTES: 8,
};

function jsonRequest(binaryOutputs = false): Buffer {
  const request = {
    id: "conformance-1",
    inputs: DATATYPES.map((t) => ({ name: `in_${t}`, shape: [3], datatype: t, data: TENSORS[t].json })),
    parameters: binaryOutputs ? { binary_data_output: true } : undefined,
  };
  expectConforms("inference_request", request);
  return Buffer.from(JSON.stringify(request));
}

/** Triton's binary layout: the JSON header, then each input's bytes in the order listed. */
function binaryRequest(binaryOutputs: boolean): { body: Buffer; headerLength: number } {
  const request = {
    inputs: DATATYPES.map((t) => ({
      name: `in_${t}`,
      shape: [3],
      datatype: t,
      parameters: { binary_data_size: TENSORS[t].bytes.length },
    })),
    outputs: DATATYPES.map((t) => ({ name: `out_${t}`, parameters: { binary_data: binaryOutputs } })),
  };
  expectConforms("inference_request", request);
  const header = Buffer.from(JSON.stringify(request));
  return { body: Buffer.concat([header, ...DATATYPES.map((t) => TENSORS[t].bytes)]), headerLength: header.length };
}

const postJson = (body: Uint8Array, headers: Record<string, string> = {}) =>
  send("POST", INFER, { "Content-Type": "application/json", ...headers }, body);
const postBinary = ({ body, headerLength }: { body: Uint8Array; headerLength: number }, headers = {}) =>
  send(
    "POST",
    INFER,
    { "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": String(headerLength), ...headers },
    body,
  );

/** A 200 inference response, validated, with its binary outputs cut out by their binary_data_size. */
function decodeInference(raw: Raw): { head: any; binary: Record<string, Buffer> } {
  expect(raw.status, raw.body.toString("utf8", 0, 500)).toBe(200);
  const headerLength = raw.headers[INFER_HEADER] === undefined ? raw.body.length : Number(raw.headers[INFER_HEADER]);
  const head = JSON.parse(raw.body.toString("utf8", 0, headerLength));
  expectConforms("inference_response", head);
  const binary: Record<string, Buffer> = {};
  let offset = headerLength;
  for (const output of head.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary[output.name] = raw.body.subarray(offset, offset + size);
    offset += size;
  }
  expect(offset, "bytes after the last binary output").toBe(raw.body.length);
  return { head, binary };
}

beforeAll(async () => {
  const { baseUrl, adminToken } = devServer();
  const admin = (path: string, init: RequestInit) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${adminToken}`, ...init.headers } });
  const model = writeOnnxModel({
    inputs: DATATYPES.map((t) => ({ name: `in_${t}`, elemType: ONNX_ELEMENT[t], dims: [`n_${t}`] })),
    outputs: DATATYPES.map((t) => ({ name: `out_${t}`, elemType: ONNX_ELEMENT[t], dims: [`n_${t}`] })),
    nodes: DATATYPES.map((t) => ({ opType: "Identity", inputs: [`in_${t}`], outputs: [`out_${t}`] })),
  });
  const manifest = await admin(`/admin/models/${MODEL}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ task: "tensor" }),
  });
  expect(manifest.ok, await manifest.text()).toBe(true);
  const upload = await admin(`/admin/models/${MODEL}/versions/1`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: model,
  });
  expect(upload.status, await upload.text()).toBe(201);
});

describe("server and model endpoints", () => {
  it("server metadata at /v2 and /v2/, liveness and readiness", async () => {
    for (const path of ["/v2", "/v2/"]) {
      const metadata = await get(path);
      expect(metadata.status, path).toBe(200);
      expectConforms("metadata_server_response", jsonOf(metadata));
      expect(jsonOf(metadata).extensions).toEqual(expect.arrayContaining(["binary_tensor_data", "model_repository"]));
    }
    expectConforms("live_server_response", jsonOf(await get("/v2/health/live")));
    expectConforms("ready_server_response", jsonOf(await get("/v2/health/ready")));
  });

  it("model metadata and readiness of every bundled model and the fixture, with and without a version", async () => {
    const names = [...bundledManifests().map((m) => m.name as string), MODEL];
    for (const name of names) {
      for (const path of [`/v2/models/${name}`, `/v2/models/${name}/versions/default`]) {
        const metadata = await get(path);
        expect(metadata.status, path).toBe(200);
        expectConforms("metadata_model_response", jsonOf(metadata));
        expectConforms("ready_model_response", jsonOf(await get(`${path}/ready`)));
      }
    }
    const fixture = jsonOf(await get(`/v2/models/${MODEL}/versions/1`));
    expect(fixture.inputs).toEqual(DATATYPES.map((t) => ({ name: `in_${t}`, datatype: t, shape: [-1] })));
  });

  it("errors are {error: string} with a 4xx", async () => {
    const unknown = await get("/v2/models/no-such-model");
    expect(unknown.status).toBe(404);
    expectConforms("metadata_model_error_response", jsonOf(unknown));
    for (const body of ["{", '{"inputs": [{"name": "in_FP32", "shape": [1], "datatype": "FP128", "data": [1]}]}']) {
      const refused = await postJson(Buffer.from(body));
      expect(refused.status, body).toBe(400);
      expectConforms("inference_error_response", jsonOf(refused));
    }
  });

  it("the repository index (Triton's extension) lists the fixture READY", async () => {
    const index = await send("POST", "/v2/repository/index");
    expect(index.status).toBe(200);
    expectConforms("repository_index_response", jsonOf(index));
    expect(jsonOf(index)).toContainEqual({ name: MODEL, version: "1", state: "READY", reason: "" });
  });
});

describe("every datatype round-trips", () => {
  it("in JSON, echoing the request id", async () => {
    const { head } = decodeInference(await postJson(jsonRequest()));
    expect(head).toMatchObject({ model_name: MODEL, model_version: "1", id: "conformance-1" });
    for (const t of DATATYPES) {
      const output = head.outputs.find((o: { name: string }) => o.name === `out_${t}`);
      expect(output, t).toEqual({ name: `out_${t}`, datatype: t, shape: [3], data: TENSORS[t].json });
    }
  });

  it("in binary, byte for byte (64-bit extremes and length-prefixed BYTES included)", async () => {
    const raw = await postBinary(binaryRequest(true));
    expect(raw.headers["content-type"]).toBe("application/octet-stream");
    const { head, binary } = decodeInference(raw);
    for (const t of DATATYPES) {
      const output = head.outputs.find((o: { name: string }) => o.name === `out_${t}`);
      expect(output, t).toMatchObject({
        datatype: t,
        shape: [3],
        parameters: { binary_data_size: TENSORS[t].bytes.length },
      });
      expect(binary[`out_${t}`], t).toEqual(TENSORS[t].bytes);
    }
  });

  it("binary in, JSON out, and JSON in, binary out", async () => {
    const jsonOut = decodeInference(await postBinary(binaryRequest(false))).head;
    const binaryOut = decodeInference(await postJson(jsonRequest(true))).binary;
    for (const t of DATATYPES.filter((d) => d !== "UINT64" && d !== "INT64")) {
      expect(jsonOut.outputs.find((o: { name: string }) => o.name === `out_${t}`).data, t).toEqual(TENSORS[t].json);
      expect(binaryOut[`out_${t}`], t).toEqual(TENSORS[t].bytes);
    }
  });
});

describe("compressed bodies, as tritonclient sends and asks for them", () => {
  it("gzip and deflate requests (JSON and binary) answer what plain ones answer", async () => {
    const plainJson = decodeInference(await postJson(jsonRequest())).head;
    expect(decodeInference(await postJson(zlib.gzipSync(jsonRequest()), { "Content-Encoding": "gzip" })).head).toEqual(
      plainJson,
    );
    expect(
      decodeInference(await postJson(zlib.deflateSync(jsonRequest()), { "Content-Encoding": "deflate" })).head,
    ).toEqual(plainJson);
    // Inference-Header-Content-Length counts the JSON header of the decompressed body
    const binary = binaryRequest(true);
    const plain = await postBinary(binary);
    const gzipped = await postBinary(
      { body: zlib.gzipSync(binary.body), headerLength: binary.headerLength },
      { "Content-Encoding": "gzip" },
    );
    expect(gzipped.body).toEqual(plain.body);
  });

  it("binary responses come compressed to clients that accept gzip or deflate; JSON is compressed by the platform", async () => {
    const binary = binaryRequest(true);
    const plain = await postBinary(binary);
    // bodies under 1 KiB go out as they are (compressing a few scores costs more than it saves); this one is over
    expect(plain.body.length).toBeGreaterThanOrEqual(1024);
    const gzipped = await postBinary(binary, { "Accept-Encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(gzipped.body)).toEqual(plain.body);
    const deflated = await postBinary(binary, { "Accept-Encoding": "deflate" });
    expect(deflated.headers["content-encoding"]).toBe("deflate");
    expect(zlib.inflateSync(deflated.body)).toEqual(plain.body);
    expect(gzipped.headers[INFER_HEADER]).toBe(plain.headers[INFER_HEADER]);
    // JSON: Cloudflare's edge compresses it for clients that accept gzip; wrangler dev (Miniflare) does as Cloudflare
    const json = await postJson(jsonRequest(), { "Accept-Encoding": "gzip" });
    expect(json.headers["content-encoding"]).toBe("gzip");
    expectConforms("inference_response", JSON.parse(zlib.gunzipSync(json.body).toString("utf8")));
  });

  it("a 10 MB gzip body that inflates to 2 GB is a 413, and the server keeps serving", async () => {
    const bomb = await gzipZeros(2 * 1024 ** 3);
    expect(bomb.length).toBeGreaterThan(8 * 1024 ** 2);
    const refused = await postJson(bomb, { "Content-Encoding": "gzip" });
    expect(refused.status).toBe(413);
    expectConforms("inference_error_response", jsonOf(refused));
    expect(jsonOf(refused).error).toContain("once decompressed");
    expect((await get("/v2/health/live")).status).toBe(200);
    decodeInference(await postJson(jsonRequest()));
  });
});

/** `count` zeros gzipped at level 1 (zlib's fastest, about 230:1 on zeros), streamed so they are never all held. */
async function gzipZeros(count: number): Promise<Buffer> {
  const gzip = zlib.createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(1024 ** 2);
  for (let written = 0; written < count; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  await new Promise((resolve) => gzip.end(resolve));
  return Buffer.concat(chunks);
}
