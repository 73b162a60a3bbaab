/**
 * `Content-Encoding: gzip | deflate` request bodies (tritonclient's `request_compression_algorithm`) are decoded
 * before they are read, and the size limits count the decoded bytes: a small body that inflates past the limit is a
 * 413, a body that does not inflate a 400. Binary responses are compressed for clients that accept gzip or deflate
 * (JSON is left to the platform, which compresses it). Compressed with workerd's own CompressionStream here,
 * decompressed with DecompressionStream: the formats are the standard ones (RFC 1952 gzip, RFC 1950 zlib).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MIN_COMPRESSED_BYTES } from "../src/api/middleware/content-encoding";
import { scaleBy } from "./support/fixtures";
import { admin, call, json, uploadModel } from "./support/worker";

const INFER = "/v2/models/compressed-scale/infer";
const TEST_LIMIT = 4 * 1024 * 1024; // MAX_REQUEST_BYTES in vitest.config.ts

async function compress(bytes: Uint8Array, format: "gzip" | "deflate"): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer(),
  );
}

async function decompress(body: ArrayBuffer, format: "gzip" | "deflate"): Promise<Uint8Array> {
  return new Uint8Array(
    await new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream(format))).arrayBuffer(),
  );
}

/** `count` zeros compressed, fed in 1 MiB pieces so the test itself never holds them. */
async function zerosCompressed(count: number, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const piece = new Uint8Array(1024 * 1024);
  let left = count;
  const zeros = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const size = Math.min(left, piece.byteLength);
      left -= size;
      controller.enqueue(piece.subarray(0, size));
    },
  });
  return new Uint8Array(await new Response(zeros.pipeThrough(new CompressionStream(format))).arrayBuffer());
}

const encoder = new TextEncoder();
const jsonRequest = (values: number[]) =>
  encoder.encode(JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [values.length], data: values }] }));

function binaryRequest(values: number[], binaryOutput: boolean): { body: Uint8Array; headerLength: number } {
  const header = encoder.encode(
    JSON.stringify({
      inputs: [
        { name: "x", datatype: "FP32", shape: [values.length], parameters: { binary_data_size: values.length * 4 } },
      ],
      parameters: { binary_data_output: binaryOutput },
    }),
  );
  const body = new Uint8Array(header.byteLength + values.length * 4);
  body.set(header);
  body.set(new Uint8Array(new Float32Array(values).buffer), header.byteLength);
  return { body, headerLength: header.byteLength };
}

const post = (path: string, body: Uint8Array, headers: Record<string, string>) =>
  call(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

beforeAll(async () => {
  expect((await uploadModel("compressed-scale", scaleBy(3))).status).toBe(201);
});

describe("compressed request bodies", () => {
  it("gzip and deflate JSON bodies answer what the plain body answers", async () => {
    const plain = jsonRequest([1, 2, 3.5]);
    const expected = await json(post(INFER, plain, {}));
    expect(expected.outputs[0].data).toEqual([3, 6, 10.5]);
    for (const format of ["gzip", "deflate"] as const) {
      const response = await post(INFER, await compress(plain, format), { "Content-Encoding": format });
      expect(response.status, format).toBe(200);
      expect(await json(response)).toEqual(expected);
    }
  });

  it("checks the binary extension's Inference-Header-Content-Length against the decompressed body", async () => {
    const values = Array.from({ length: 1000 }, (_, i) => i / 7);
    const { body, headerLength } = binaryRequest(values, false);
    const gzipped = await compress(body, "gzip");
    expect(gzipped.byteLength).toBeLessThan(headerLength + 4000);
    const response = await post(INFER, gzipped, {
      "Content-Type": "application/octet-stream",
      "Content-Encoding": "gzip",
      "Inference-Header-Content-Length": String(headerLength),
    });
    expect(response.status).toBe(200);
    expect((await json(response)).outputs[0].data).toEqual(values.map((v) => Math.fround(Math.fround(v) * 3)));

    // a header length within the compressed body but beyond the JSON header misreads it: refused, not guessed
    const beyond = await post(INFER, gzipped, {
      "Content-Type": "application/octet-stream",
      "Content-Encoding": "gzip",
      "Inference-Header-Content-Length": String(body.byteLength + 1),
    });
    expect(beyond.status).toBe(400);
    expect(beyond.headers.get("X-Error-Code")).toBe("invalid_binary_header");
    expect((await json(beyond)).error).toContain(`within the ${body.byteLength}-byte body`);
  });

  it("a small gzip that inflates past the limit is a 413 on every route that takes a body", async () => {
    const bomb = await zerosCompressed(64 * 1024 * 1024, "gzip");
    expect(bomb.byteLength).toBeLessThan(TEST_LIMIT / 16);
    const infer = await post(INFER, bomb, { "Content-Encoding": "gzip" });
    expect(infer.status).toBe(413);
    expect(await json(infer)).toEqual({
      error: `the inference request is larger once decompressed than the limit of ${TEST_LIMIT} bytes`,
    });
    const embeddings = await post("/v1/embeddings", bomb, { "Content-Encoding": "gzip" });
    expect(embeddings.status).toBe(413);
    expect((await json(embeddings)).error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    const manifest = await admin("/admin/models/compressed-scale", {
      method: "PUT",
      headers: { "Content-Type": "application/json", "Content-Encoding": "deflate" },
      body: await zerosCompressed(1024 * 1024, "deflate"),
    });
    expect(manifest.status).toBe(413);
    expect(manifest.headers.get("X-Error-Code")).toBe("payload_too_large");
  });

  it("a body that does not inflate is a 400, an unknown coding a 415", async () => {
    const gzipped = await compress(jsonRequest([1, 2]), "gzip");
    const truncated = await post(INFER, gzipped.subarray(0, gzipped.byteLength - 12), { "Content-Encoding": "gzip" });
    expect(truncated.status).toBe(400);
    expect((await json(truncated)).error).toMatch(/^the gzip request body does not decompress/);
    const garbage = await post(INFER, encoder.encode("not gzip at all"), { "Content-Encoding": "gzip" });
    expect(garbage.status).toBe(400);
    const brotli = await post(INFER, gzipped, { "Content-Encoding": "br" });
    expect(brotli.status).toBe(415);
    expect((await json(brotli)).error).toContain("Content-Encoding 'br' is not supported");
  });
});

describe("compressed responses", () => {
  const values = Array.from({ length: 4096 }, (_, i) => i % 17);

  async function binaryInference(acceptEncoding?: string): Promise<Response> {
    const { body, headerLength } = binaryRequest(values, true);
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(headerLength),
    };
    if (acceptEncoding !== undefined) headers["Accept-Encoding"] = acceptEncoding;
    return post(INFER, body, headers);
  }

  it("binary outputs come gzip- or deflate-compressed to clients that accept it, and decode to the plain bytes", async () => {
    const plain = await binaryInference();
    expect(plain.headers.get("Content-Encoding")).toBeNull();
    const plainBytes = new Uint8Array(await plain.arrayBuffer());
    for (const [accept, coding] of [
      ["gzip", "gzip"],
      ["deflate", "deflate"],
      ["deflate;q=1, gzip;q=0.5", "deflate"],
      ["br, gzip", "gzip"],
      ["*", "gzip"],
    ] as const) {
      const response = await binaryInference(accept);
      expect(response.headers.get("Content-Encoding"), accept).toBe(coding);
      expect(response.headers.get("Vary"), accept).toContain("Accept-Encoding");
      expect(response.headers.get("Inference-Header-Content-Length")).toBe(
        plain.headers.get("Inference-Header-Content-Length"),
      );
      // workerd decodes gzip (not deflate) for whoever reads a response; test/e2e checks gzip's bytes on the wire
      const body = new Uint8Array(await response.arrayBuffer());
      if (coding === "deflate") expect(body.byteLength, accept).toBeLessThan(plainBytes.byteLength / 10);
      expect(coding === "gzip" ? body : await decompress(body.buffer, coding), accept).toEqual(plainBytes);
    }
    for (const accept of ["identity", "br", "gzip;q=0, deflate;q=0", ""]) {
      const response = await binaryInference(accept);
      expect(response.headers.get("Content-Encoding"), accept).toBeNull();
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(plainBytes);
    }
  });

  it("a binary response under 1 KiB goes out as it is to a client that accepts gzip, with the same bytes", async () => {
    const { body, headerLength } = binaryRequest([1, 2, 3, 4], true);
    const headers = {
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(headerLength),
    };
    const plain = new Uint8Array(await (await post(INFER, body, headers)).arrayBuffer());
    expect(plain.byteLength).toBeLessThan(MIN_COMPRESSED_BYTES);
    const response = await post(INFER, body, { ...headers, "Accept-Encoding": "gzip, deflate" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Encoding")).toBeNull();
    expect(response.headers.get("Vary")).toContain("Accept-Encoding");
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes).toEqual(plain);
    // the scale model's outputs, read after the JSON header: 3 × the inputs
    const outputs = new Float32Array(
      bytes.slice(Number(response.headers.get("Inference-Header-Content-Length"))).buffer,
    );
    expect([...outputs]).toEqual([3, 6, 9, 12]);
  });

  it("JSON answers are left to the platform, which compresses JSON itself", async () => {
    const response = await post(INFER, jsonRequest(values), { "Accept-Encoding": "gzip" });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Encoding")).toBeNull();
    expect((await json(response)).outputs[0].data).toHaveLength(values.length);
  });
});
