/**
 * Open Inference Protocol tensors as typed arrays: requests in JSON or in the binary tensor data extension (a JSON
 * header of `Inference-Header-Content-Length` bytes, then each input's little-endian, row-major bytes in order;
 * `BYTES` elements as a 4-byte little-endian length and their UTF-8 bytes, as Triton writes them), and responses of
 * either kind back into typed arrays. `INT64`/`UINT64` are `BigInt64Array`/`BigUint64Array`, `FP16` is its bits in a
 * `Uint16Array`, `BOOL` a `Uint8Array` of 0 and 1, `BYTES` an array of strings.
 */
import { toHalfBits } from "./float16";
import type { components } from "./generated/openapi";
import { encodeBytesElements, type TensorData, type TypedData } from "./tensor-bytes";

export type Datatype = components["schemas"]["TensorSpec"]["datatype"];
type NumericDatatype = Exclude<Datatype, "BYTES">;

export type { TensorData, TypedData };

/** An input: typed arrays say their datatype; plain arrays need `datatype` (`FP16` and `BOOL` always do). */
export interface InputTensor {
  name: string;
  shape: number[];
  data: TensorData | number[] | boolean[];
  datatype?: Datatype;
}

export interface OutputTensor {
  name: string;
  shape: number[];
  datatype: Datatype;
  data: TensorData;
}

export interface InferRequest {
  inputs: InputTensor[];
  /** Output names to return (all when absent). */
  outputs?: string[];
  id?: string;
  parameters?: Record<string, string | number | boolean>;
}

export interface InferResult {
  modelName: string;
  modelVersion: string;
  id?: string;
  parameters?: Record<string, string | number | boolean>;
  outputs: OutputTensor[];
  /** The outputs by name. */
  byName: Record<string, OutputTensor>;
}

type ArrayType = {
  new (length: number): TypedData;
  new (buffer: ArrayBuffer, offset?: number, length?: number): TypedData;
  BYTES_PER_ELEMENT: number;
};

const ARRAYS: Record<NumericDatatype, ArrayType> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** The datatype a typed array stands for when none is named (`Uint16Array` is UINT16; say `FP16` for halves). */
const DEFAULT_DATATYPES: [ArrayType, NumericDatatype][] = [
  [Float32Array, "FP32"],
  [Float64Array, "FP64"],
  [Int8Array, "INT8"],
  [Uint8Array, "UINT8"],
  [Int16Array, "INT16"],
  [Uint16Array, "UINT16"],
  [Int32Array, "INT32"],
  [Uint32Array, "UINT32"],
  [BigInt64Array, "INT64"],
  [BigUint64Array, "UINT64"],
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The JSON body of an inference request. */
export function jsonInferBody(request: InferRequest) {
  return {
    ...(request.id === undefined ? {} : { id: request.id }),
    ...(request.parameters ? { parameters: request.parameters } : {}),
    inputs: request.inputs.map((input) => {
      const { datatype, data } = typed(input);
      return { name: input.name, shape: input.shape, datatype, data: jsonElements(data, input.name) };
    }),
    ...(request.outputs ? { outputs: request.outputs.map((name) => ({ name })) } : {}),
  };
}

/**
 * The body of an inference request in the binary tensor data extension, every output asked for as binary.
 *
 * @example
 * const { body, headerLength } = binaryInferBody({ inputs: [{ name: "x", shape: [1, 4], data: new Float32Array(4) }] });
 * // POST it with `Inference-Header-Content-Length: ${headerLength}` and `Content-Type: application/octet-stream`
 */
export function binaryInferBody(request: InferRequest): { body: Uint8Array; headerLength: number } {
  const parts = request.inputs.map((input) => ({ input, ...typed(input) }));
  const payloads = parts.map(({ data }) => bytesOf(data));
  const header = encoder.encode(
    JSON.stringify({
      ...(request.id === undefined ? {} : { id: request.id }),
      inputs: parts.map(({ input, datatype }, i) => ({
        name: input.name,
        shape: input.shape,
        datatype,
        parameters: { binary_data_size: payloads[i]!.byteLength },
      })),
      ...(request.outputs
        ? { outputs: request.outputs.map((name) => ({ name, parameters: { binary_data: true } })) }
        : {}),
      parameters: { ...request.parameters, binary_data_output: true },
    }),
  );
  const body = new Uint8Array(header.byteLength + payloads.reduce((n, p) => n + p.byteLength, 0));
  body.set(header);
  let offset = header.byteLength;
  for (const payload of payloads) {
    body.set(payload, offset);
    offset += payload.byteLength;
  }
  return { body, headerLength: header.byteLength };
}

/**
 * An inference response, JSON or binary, as typed arrays.
 * @param headerLength the response's `Inference-Header-Content-Length` (absent: the whole body is JSON)
 */
export function decodeInferResponse(bytes: Uint8Array, headerLength: number | undefined): InferResult {
  const jsonEnd = headerLength ?? bytes.byteLength;
  const header = JSON.parse(decoder.decode(bytes.subarray(0, jsonEnd))) as components["schemas"]["InferResponse"];
  let offset = jsonEnd;
  const outputs = header.outputs.map((output): OutputTensor => {
    const size = output.parameters?.binary_data_size;
    if (typeof size !== "number") return { ...pick(output), data: fromJson(output.datatype, output.data ?? []) };
    const data = fromBytes(output.datatype, bytes.slice(offset, offset + size));
    offset += size;
    return { ...pick(output), data };
  });
  return {
    modelName: header.model_name,
    modelVersion: header.model_version,
    ...(header.id === undefined ? {} : { id: header.id }),
    ...(header.parameters ? { parameters: header.parameters } : {}),
    outputs,
    byName: Object.fromEntries(outputs.map((output) => [output.name, output])),
  };
}

function pick(output: { name: string; shape: number[]; datatype: Datatype }) {
  return { name: output.name, shape: output.shape, datatype: output.datatype };
}

/** The input's datatype and its elements as a typed array (strings for BYTES), checked against its shape. */
function typed(input: InputTensor): { datatype: Datatype; data: TensorData } {
  const { data } = input;
  const datatype = input.datatype ?? (Array.isArray(data) ? undefined : defaultDatatype(data));
  if (!datatype) throw new TypeError(`input '${input.name}': plain arrays need a datatype`);
  const elements = input.shape.reduce((n, d) => n * d, 1);
  if (data.length !== elements)
    throw new TypeError(
      `input '${input.name}' has ${data.length} elements; its shape [${input.shape.join(", ")}] needs ${elements}`,
    );
  if (datatype === "BYTES") {
    if (!Array.isArray(data) || data.some((item) => typeof item !== "string"))
      throw new TypeError(`input '${input.name}': BYTES data is an array of strings`);
    return { datatype, data: data as string[] };
  }
  if (!Array.isArray(data) && data instanceof ARRAYS[datatype]) return { datatype, data };
  return { datatype, data: fromNumbers(datatype, Array.from(data as ArrayLike<number | bigint | boolean>)) };
}

/** Numbers as the datatype's typed array: BigInts for 64-bit integers, half bits for FP16 (numbers given). */
function fromNumbers(datatype: NumericDatatype, values: unknown[]): TypedData {
  const out = new ARRAYS[datatype](values.length) as unknown as (number | bigint)[];
  const wide = datatype === "INT64" || datatype === "UINT64";
  values.forEach((value, i) => {
    out[i] = wide ? BigInt(value as number) : datatype === "FP16" ? toHalfBits(Number(value)) : Number(value);
  });
  return out as unknown as TypedData;
}

function defaultDatatype(data: TypedData): NumericDatatype | undefined {
  return DEFAULT_DATATYPES.find(([type]) => data instanceof type)?.[1];
}

/** Elements as JSON numbers; a 64-bit integer beyond 2^53 is refused (send it as binary). */
function jsonElements(data: TensorData, name: string): (number | string)[] {
  if (Array.isArray(data)) return data;
  return Array.from(data as ArrayLike<number | bigint>, (value) => {
    if (typeof value === "number") return value;
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError(`input '${name}': ${value} does not fit a JSON number exactly; send binary tensors`);
    return Number(value);
  });
}

function bytesOf(data: TensorData): Uint8Array {
  if (Array.isArray(data)) return encodeBytesElements(data);
  if (!LITTLE_ENDIAN) throw new RangeError("binary tensors are little-endian; this host is not");
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function fromBytes(datatype: Datatype, bytes: Uint8Array): TensorData {
  if (datatype === "BYTES") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const items: string[] = [];
    for (let offset = 0; offset + 4 <= bytes.byteLength; ) {
      const length = view.getUint32(offset, true);
      items.push(decoder.decode(bytes.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    return items;
  }
  if (!LITTLE_ENDIAN) throw new RangeError("binary tensors are little-endian; this host is not");
  const Array_ = ARRAYS[datatype];
  return new Array_(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / Array_.BYTES_PER_ELEMENT);
}

function fromJson(datatype: Datatype, data: unknown[]): TensorData {
  const flat = data.flat(Number.POSITIVE_INFINITY);
  return datatype === "BYTES" ? flat.map(String) : fromNumbers(datatype, flat);
}
