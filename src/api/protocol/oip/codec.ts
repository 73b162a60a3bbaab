/**
 * Decodes OIP inference requests (JSON, or JSON header + binary tensor data) and encodes responses.
 * Decoding stops at declarations (names, datatypes, shapes) so limits are checked before any element is
 * converted; `materialize` then builds each typed array once, viewing binary data in place when aligned.
 * `BYTES` elements are strings in JSON and, in binary, each a 4-byte little-endian length then its bytes (the
 * binary tensor data extension, as Triton writes it); onnxruntime carries them as UTF-8 text.
 */

import { fromHalfBits, toHalfBits } from "../../../client/float16";
import { encodeBytesElements } from "../../../client/tensor-bytes";
import { AppError, quote } from "../../../errors";
import {
  allocate,
  asBytes,
  bytesPerElement,
  DATATYPES,
  type Datatype,
  datatypeInfo,
  elementCount,
  isDatatype,
  isNumeric,
  type TensorData,
  viewBytes,
} from "../../../runtime/datatypes";
import type { DeclaredTensor } from "../../../runtime/signature";
import type { Tensor } from "../../../runtime/tensor";
import { parseOrFail } from "../../../validation";
import { InferRequestSchema } from "./schemas";

export const INFERENCE_HEADER = "Inference-Header-Content-Length";

export interface DecodedInput extends DeclaredTensor {
  /** JSON elements (flat or nested), or the tensor's binary bytes. */
  json?: unknown[];
  binary?: Uint8Array;
}

export interface RequestedOutput {
  name: string;
  binary: boolean;
}

export interface DecodedRequest {
  id?: string;
  inputs: DecodedInput[];
  /** Outputs the client named; undefined means all of them. */
  outputs?: RequestedOutput[];
  /** Request-level `binary_data_output`, applied to outputs the client did not name. */
  binaryOutputs: boolean;
}

export function decodeInferRequest(headers: Headers, body: Uint8Array): DecodedRequest {
  const headerLength = headers.get(INFERENCE_HEADER);
  let json: Uint8Array;
  let binary: Uint8Array = new Uint8Array(0);
  if (headerLength === null) {
    const type = headers.get("Content-Type");
    if (type && !/^application\/([\w.-]+\+)?json\b/i.test(type)) {
      throw new AppError(
        "unsupported_media_type",
        `send 'Content-Type: application/json', or binary tensors with an ${INFERENCE_HEADER} header (got '${type}')`,
      );
    }
    json = body;
  } else {
    if (!/^\d+$/.test(headerLength.trim()) || Number(headerLength) > body.byteLength) {
      throw new AppError(
        "invalid_binary_header",
        `${INFERENCE_HEADER} must be a byte count within the ${body.byteLength}-byte body, got '${headerLength}'`,
      );
    }
    json = body.subarray(0, Number(headerLength));
    binary = body.subarray(Number(headerLength));
  }
  return declare(parseJson(json), binary);
}

function parseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0)
    throw new AppError("invalid_json", "the request body is empty; expected an OIP inference request");
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new AppError("invalid_json", `the inference request is not valid JSON: ${(error as Error).message}`);
  }
}

function declare(value: unknown, binary: Uint8Array): DecodedRequest {
  const body = parseOrFail(
    InferRequestSchema,
    value,
    ({ where, message }) => new AppError("invalid_request", `invalid inference request at '${where}': ${message}`),
  );
  let offset = 0;
  const inputs = body.inputs.map((input): DecodedInput => {
    if (!isDatatype(input.datatype)) {
      throw new AppError(
        "invalid_request",
        `input '${input.name}' has datatype '${input.datatype}'; supported: ${DATATYPES.join(", ")}`,
      );
    }
    const declared = { name: input.name, datatype: input.datatype, shape: input.shape };
    const size = input.parameters?.binary_data_size;
    if (size === undefined) {
      if (!Array.isArray(input.data))
        throw new AppError(
          "invalid_request",
          `input '${input.name}' needs 'data' (an array) or a 'binary_data_size' parameter`,
        );
      return { ...declared, json: input.data };
    }
    if (input.data !== undefined)
      throw new AppError("invalid_request", `input '${input.name}' has both 'data' and 'binary_data_size'`);
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || offset + size > binary.byteLength) {
      throw new AppError(
        "invalid_binary_header",
        `input '${input.name}' declares binary_data_size ${String(size)} but only ${binary.byteLength - offset} bytes of binary data remain`,
      );
    }
    const bytes = binary.subarray(offset, offset + size);
    offset += size;
    return { ...declared, binary: bytes };
  });
  if (offset !== binary.byteLength) {
    throw new AppError(
      "invalid_binary_header",
      `the body carries ${binary.byteLength} bytes of binary data but the inputs declare ${offset}`,
    );
  }
  const binaryOutputs = body.parameters?.binary_data_output === true;
  const outputs = body.outputs?.map((output) => ({
    name: output.name,
    binary: typeof output.parameters?.binary_data === "boolean" ? output.parameters.binary_data : binaryOutputs,
  }));
  return { id: body.id, inputs, outputs, binaryOutputs };
}

/** Builds the input's typed array, checking that its data matches its declared shape and datatype. */
export function materialize(input: DecodedInput): Tensor {
  const count = elementCount(input.shape);
  if (input.binary && input.datatype === "BYTES") {
    return { datatype: "BYTES", shape: input.shape, data: decodeBytesElements(input.binary, count, input.name) };
  }
  if (input.binary && isNumeric(input.datatype)) {
    const expected = count * bytesPerElement(input.datatype);
    if (input.binary.byteLength !== expected) {
      throw new AppError(
        "invalid_request",
        `input '${input.name}' has ${input.binary.byteLength} bytes of binary data; shape [${input.shape.join(", ")}] of ${input.datatype} needs ${expected}`,
      );
    }
    return { datatype: input.datatype, shape: input.shape, data: viewBytes(input.datatype, input.binary) };
  }
  const flat = flatten(input.json!, input.shape, input.name);
  if (flat.length !== count) {
    const given = flat.length > count ? `more than ${count}` : String(flat.length);
    throw new AppError(
      "invalid_request",
      `input '${input.name}' has ${given} elements; shape [${input.shape.join(", ")}] needs ${count}`,
    );
  }
  return { datatype: input.datatype, shape: input.shape, data: fromJsonElements(input.datatype, flat, input.name) };
}

/**
 * The elements of JSON `data` in row-major order. Data is flat, or nested exactly as the shape: every array at
 * depth d holds shape[d] items, arrays down to the last axis and elements below it. Ragged or partly nested data
 * is refused rather than read in some order the caller did not mean. Each level is checked before it is expanded,
 * so the work is bounded by the element count the limits already allowed.
 */
function flatten(data: unknown[], shape: readonly number[], name: string): unknown[] {
  if (!data.some(Array.isArray)) return data; // flat: the caller checks the count
  let level: unknown[] = [data];
  for (let axis = 0; axis < shape.length; axis++) {
    const next: unknown[] = [];
    for (let at = 0; at < level.length; at++) {
      const item = level[at];
      if (!Array.isArray(item) || item.length !== shape[axis])
        throw raggedData(name, shape, axis, at, Array.isArray(item) ? items(item.length) : "an element");
      for (const value of item) next.push(value);
    }
    level = next;
  }
  const deeper = level.findIndex(Array.isArray);
  if (deeper >= 0) throw raggedData(name, shape, shape.length, deeper, "an array");
  return level;
}

const items = (n: number) => `${n} item${n === 1 ? "" : "s"}`;

/** Where nested data leaves its shape: `data[1][0] has 2 items where shape [2, 3, 4] needs 4`. */
function raggedData(name: string, shape: readonly number[], axis: number, at: number, found: string): AppError {
  const index: number[] = [];
  for (let d = axis - 1, rest = at; d >= 0; d--) {
    index.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  const where = `data${index.map((i) => `[${i}]`).join("")}`;
  const needs = axis < shape.length ? items(shape[axis]!) : "an element";
  return new AppError(
    "invalid_request",
    `input '${name}' has ragged data: ${where} is ${found} where shape [${shape.join(", ")}] needs ${needs}; send data flat, or nested exactly as the shape`,
  );
}

const INTEGER_RANGES: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  INT8: [-128, 127],
  UINT16: [0, 65535],
  INT16: [-32768, 32767],
  UINT32: [0, 4294967295],
  INT32: [-2147483648, 2147483647],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function fromJsonElements(datatype: Datatype, values: unknown[], name: string): TensorData {
  const bad = (i: number, expected: string) =>
    new AppError("invalid_request", `input '${name}' element ${i} (${quote(values[i])}) is not ${expected}`);
  if (datatype === "BYTES") {
    values.forEach((v, i) => {
      if (typeof v !== "string") throw bad(i, "a string (BYTES)");
      if (v.includes("\0")) throw nulInside(name, i);
    });
    return values as string[];
  }
  const out = allocate(datatype, values.length);
  if (datatype === "BOOL") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "boolean") throw bad(i, "a boolean");
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  const range = INTEGER_RANGES[datatype];
  const big = datatypeInfo(datatype).big;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") throw bad(i, `a number (${datatype})`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw bad(
        i,
        `an integer in [${range[0]}, ${range[1]}] (${datatype}${big ? "; larger 64-bit values need the binary extension" : ""})`,
      );
    }
    if (big) (out as BigInt64Array)[i] = BigInt(v);
    else if (datatype === "FP16") out[i] = toHalfBits(v);
    else out[i] = v;
  }
  return out;
}

/** JSON elements of an output tensor. 64-bit integers beyond 2^53 stay exact through `JSON.rawJSON`. */
export function toJsonElements(tensor: Tensor): unknown[] {
  const { data, datatype } = tensor;
  if (Array.isArray(data)) return data;
  if (datatype === "BOOL") return Array.from(data as Uint8Array, (v) => v !== 0);
  if (datatype === "FP16") return Array.from(data as Uint16Array, fromHalfBits);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Array.from(data, (v) => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : exactInteger(v)));
  }
  return Array.from(data as ArrayLike<number>);
}

function exactInteger(value: bigint): unknown {
  const raw = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
  return raw ? raw(value.toString()) : Number(value);
}

export interface ResponseHead {
  model_name: string;
  model_version: string;
  /** Echoed when the request had one (OIP: "if provided"); never invented, so identical requests answer alike. */
  id?: string;
}

export interface ResponseOutput {
  name: string;
  tensor: Tensor;
  binary: boolean;
}

/**
 * The response body and headers; binary outputs follow the JSON header in the order listed. JSON outputs larger
 * than `maxJsonBytes` (estimated from their shapes, before any text is built) are refused with a 413 that points
 * at the binary extension.
 */
export function encodeInferResponse(
  head: ResponseHead,
  outputs: ResponseOutput[],
  maxJsonBytes = Number.POSITIVE_INFINITY,
): { body: BodyInit; headers: Record<string, string> } {
  checkJsonSize(outputs, maxJsonBytes);
  const chunks: Uint8Array[] = [];
  const described = outputs.map(({ name, tensor, binary }) => {
    const meta = { name, shape: tensor.shape, datatype: tensor.datatype };
    if (!binary) return { ...meta, data: toJsonElements(tensor) };
    const bytes = tensorBytes(tensor);
    chunks.push(bytes);
    return { ...meta, parameters: { binary_data_size: bytes.byteLength } };
  });
  const json = JSON.stringify({ ...head, outputs: described });
  if (chunks.length === 0) return { body: json, headers: { "Content-Type": "application/json" } };

  const header = new TextEncoder().encode(json);
  const body = new Uint8Array(header.byteLength + chunks.reduce((n, c) => n + c.byteLength, 0));
  body.set(header, 0);
  let offset = header.byteLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return {
    body,
    headers: { "Content-Type": "application/octet-stream", [INFERENCE_HEADER]: String(header.byteLength) },
  };
}

/**
 * Characters one element takes at most in JSON, with its comma: the shortest round-trip form of a double (which
 * FP16/FP32 values become) is at most 24 characters (`-1.2345678901234567e-308`), an integer at most its digits.
 */
const JSON_CHARS: Record<Datatype, number> = {
  BOOL: 6,
  UINT8: 4,
  INT8: 5,
  UINT16: 6,
  INT16: 7,
  UINT32: 11,
  INT32: 12,
  UINT64: 21,
  INT64: 21,
  FP16: 25,
  FP32: 25,
  FP64: 25,
  BYTES: 0, // strings are measured one by one
};

function jsonBytesOf(tensor: Tensor): number {
  if (Array.isArray(tensor.data)) return tensor.data.reduce((n, text) => n + 3 * text.length + 3, 0);
  return tensor.data.length * JSON_CHARS[tensor.datatype];
}

function checkJsonSize(outputs: readonly ResponseOutput[], maxJsonBytes: number): void {
  const json = outputs.filter((output) => !output.binary);
  const estimate = json.reduce((n, output) => n + jsonBytesOf(output.tensor), 0);
  if (estimate <= maxJsonBytes) return;
  const largest = json.reduce((a, b) => (jsonBytesOf(b.tensor) > jsonBytesOf(a.tensor) ? b : a));
  throw new AppError(
    "response_too_large",
    `the outputs as JSON would take up to ${mb(estimate)} MB (output '${largest.name}' has shape [${largest.tensor.shape.join(", ")}]), over this server's ${mb(maxJsonBytes)} MB for JSON tensors; ask for binary outputs (the request's "parameters": {"binary_data_output": true}, or an output's "binary_data": true), which the binary tensor extension carries at ${bytesPerElementNote(largest.tensor)}`,
  );
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const bytesPerElementNote = (tensor: Tensor) =>
  Array.isArray(tensor.data)
    ? "4 bytes plus each string's UTF-8"
    : `${tensor.data.BYTES_PER_ELEMENT} bytes per element`;

/**
 * A tensor's bytes in the binary tensor extension: little-endian elements, or for `BYTES` each element's UTF-8
 * length (4 bytes, little-endian) then its bytes. Also what identifies a tensor's content for the response cache.
 */
export function tensorBytes(tensor: Tensor): Uint8Array {
  return Array.isArray(tensor.data) ? encodeBytesElements(tensor.data) : asBytes(tensor.data);
}

/** onnxruntime-web hands strings to the runtime as C strings: a NUL would silently end the element there. */
function nulInside(name: string, index: number): AppError {
  return new AppError(
    "invalid_request",
    `input '${name}' element ${index} contains a NUL character, which onnxruntime-web's string tensors cannot carry`,
  );
}

/** Reads `count` length-prefixed `BYTES` elements that must fill `bytes` exactly; each must be UTF-8 text. */
function decodeBytesElements(bytes: Uint8Array, count: number, name: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // a leading U+FEFF is part of the element, not a byte-order mark to drop
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const out = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.byteLength)
      throw new AppError(
        "invalid_request",
        `input '${name}' has ${bytes.byteLength} bytes of BYTES data, which end before element ${i} of ${count} (each element is a 4-byte little-endian length, then its bytes)`,
      );
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > bytes.byteLength - offset)
      throw new AppError(
        "invalid_request",
        `input '${name}' element ${i} declares ${length} bytes but only ${bytes.byteLength - offset} remain`,
      );
    const element = bytes.subarray(offset, offset + length);
    try {
      out[i] = decoder.decode(element);
    } catch {
      throw new AppError(
        "invalid_request",
        `input '${name}' element ${i} is not valid UTF-8; onnxruntime string tensors hold text`,
      );
    }
    if (element.includes(0)) throw nulInside(name, i);
    offset += length;
  }
  if (offset !== bytes.byteLength)
    throw new AppError(
      "invalid_request",
      `input '${name}' has ${bytes.byteLength - offset} bytes of BYTES data after its ${count} elements; its shape says there are no more`,
    );
  return out;
}
