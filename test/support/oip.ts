/**
 * Builds OIP V2 inference requests (JSON and binary tensor extension) and decodes responses, written from the
 * spec independently of src/api/protocol/oip/codec.ts so the tests check the codec rather than reuse it.
 */

import type { WireTensor } from "./wire";
import { call, randomFloats, toBase64 } from "./worker";

export type Typed =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TestTensor {
  name: string;
  datatype: string;
  shape: number[];
  /** Typed elements, or the strings of a `BYTES` tensor. */
  data: Typed | string[];
}

/** The PP-OCR models' one input: `x`, FP32 of `shape`, filled with `randomFloats(seed, …)`. */
export function randomImageInput(seed: number, shape: number[]): TestTensor[] {
  const count = shape.reduce((a, b) => a * b, 1);
  return [{ name: "x", datatype: "FP32", shape, data: randomFloats(seed, count) }];
}

export interface DecodedOutput {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON outputs as parsed; binary outputs as raw bytes. */
  json?: unknown[];
  bytes?: Uint8Array;
}

const INFER_HEADER = "Inference-Header-Content-Length";

export function jsonElements(t: TestTensor): unknown[] {
  if (Array.isArray(t.data)) return t.data;
  if (t.datatype === "BOOL") return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) return Array.from(t.data, Number);
  if (t.datatype === "FP16") return Array.from(t.data as Uint16Array, halfToNumber);
  return Array.from(t.data as ArrayLike<number>);
}

/** The value of IEEE-754 half bits (written here independently of src/client/float16.ts). */
export function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const magnitude =
    exponent === 0
      ? fraction / 1024 / 16384
      : exponent === 31
        ? fraction
          ? NaN
          : Infinity
        : (1 + fraction / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -magnitude : magnitude;
}

/** A tensor's bytes in the binary extension: raw elements, or for `BYTES` a uint32 LE length before each element. */
export function bytesOf(data: Typed | string[]): Uint8Array {
  if (Array.isArray(data)) return lengthPrefixed(data.map((s) => new TextEncoder().encode(s)));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Triton's `BYTES` layout: each element's byte count as a little-endian uint32, then the element. */
export function lengthPrefixed(elements: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(elements.reduce((n, e) => n + 4 + e.byteLength, 0));
  let offset = 0;
  for (const element of elements) {
    out[offset] = element.byteLength & 0xff;
    out[offset + 1] = (element.byteLength >>> 8) & 0xff;
    out[offset + 2] = (element.byteLength >>> 16) & 0xff;
    out[offset + 3] = (element.byteLength >>> 24) & 0xff;
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}

/** The strings of a `BYTES` output sent in binary. */
export function stringsOfBytes(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < bytes.byteLength; ) {
    const length = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
    out.push(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
        bytes.subarray(offset + 4, offset + 4 + length),
      ),
    );
    offset += 4 + length;
  }
  return out;
}

export function toWire(t: TestTensor): WireTensor {
  if (Array.isArray(t.data)) return { datatype: t.datatype, shape: t.shape, base64: "", strings: t.data };
  return { datatype: t.datatype, shape: t.shape, base64: toBase64(bytesOf(t.data)) };
}

export function wireMap(tensors: TestTensor[]): Record<string, WireTensor> {
  return Object.fromEntries(tensors.map((t) => [t.name, toWire(t)]));
}

export interface InferOptions {
  outputs?: { name: string; binary?: boolean }[];
  binaryOutputs?: boolean;
  id?: string;
}

function outputsField(options: InferOptions) {
  return options.outputs?.map((o) =>
    o.binary === undefined ? { name: o.name } : { name: o.name, parameters: { binary_data: o.binary } },
  );
}

export function inferJson(path: string, inputs: TestTensor[], options: InferOptions = {}): Promise<Response> {
  const body = {
    id: options.id,
    parameters: options.binaryOutputs ? { binary_data_output: true } : undefined,
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: jsonElements(t) })),
    outputs: outputsField(options),
  };
  return call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

export function inferBinary(path: string, inputs: TestTensor[], options: InferOptions = {}): Promise<Response> {
  const header = new TextEncoder().encode(
    JSON.stringify({
      id: options.id,
      parameters: options.binaryOutputs ? { binary_data_output: true } : undefined,
      inputs: inputs.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        shape: t.shape,
        parameters: { binary_data_size: bytesOf(t.data).byteLength },
      })),
      outputs: outputsField(options),
    }),
  );
  const parts = [header, ...inputs.map((t) => bytesOf(t.data))];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.byteLength;
  }
  return call(path, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", [INFER_HEADER]: String(header.byteLength) },
    body,
  });
}

/** Decodes a 200 response of either form into outputs by name. */
export async function decodeResponse(
  response: Response,
): Promise<{ head: Record<string, unknown>; outputs: Record<string, DecodedOutput> }> {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${await response.text()}`);
  const body = new Uint8Array(await response.arrayBuffer());
  const headerLength = response.headers.get(INFER_HEADER);
  const jsonEnd = headerLength === null ? body.byteLength : Number(headerLength);
  const head = JSON.parse(new TextDecoder().decode(body.subarray(0, jsonEnd))) as Record<string, any>;
  let offset = jsonEnd;
  const outputs: Record<string, DecodedOutput> = {};
  for (const o of head.outputs as any[]) {
    const size = o.parameters?.binary_data_size;
    const decoded: DecodedOutput = { name: o.name, datatype: o.datatype, shape: o.shape };
    if (size === undefined) decoded.json = o.data;
    else {
      decoded.bytes = body.slice(offset, offset + size);
      offset += size;
    }
    outputs[o.name] = decoded;
  }
  if (offset !== body.byteLength)
    throw new Error(`response has ${body.byteLength - offset} unexplained trailing bytes`);
  return { head, outputs };
}

/** FP32 values of a decoded output, whichever form it came in. */
export function float32Of(output: DecodedOutput): Float32Array {
  if (output.bytes) return new Float32Array(output.bytes.buffer, output.bytes.byteOffset, output.bytes.byteLength / 4);
  return Float32Array.from(output.json as number[]);
}

export function float32OfWire(wire: WireTensor): Float32Array {
  const bytes = Uint8Array.from(atob(wire.base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}
