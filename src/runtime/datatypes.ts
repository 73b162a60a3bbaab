/**
 * Tensor element types: the Open Inference Protocol names (the public contract), the onnxruntime-web type
 * names, the ONNX `TensorProto.DataType` numbers and what holds each in JavaScript: a typed array for the numeric
 * types, an array of strings for `BYTES` (onnxruntime's `string` tensors, UTF-8 text).
 */
import type { TensorData, TypedData } from "../client/tensor-bytes";

export const DATATYPES = [
  "BOOL",
  "UINT8",
  "INT8",
  "UINT16",
  "INT16",
  "UINT32",
  "INT32",
  "UINT64",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;

export type Datatype = (typeof DATATYPES)[number];
/** Every datatype whose elements have a fixed width (all but `BYTES`). */
export type NumericDatatype = Exclude<Datatype, "BYTES">;

export type { TensorData, TypedData };

type TypedArrayConstructor = {
  new (length: number): TypedData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedData;
  readonly BYTES_PER_ELEMENT: number;
};

interface DatatypeInfo {
  /** onnxruntime-web `Tensor.Type`. */
  ort: string;
  /** ONNX `TensorProto.DataType`. */
  onnx: number;
  array: TypedArrayConstructor;
  /** Elements are `bigint` in JavaScript. */
  big: boolean;
}

const INFO: Record<NumericDatatype, DatatypeInfo> = {
  BOOL: { ort: "bool", onnx: 9, array: Uint8Array, big: false },
  UINT8: { ort: "uint8", onnx: 2, array: Uint8Array, big: false },
  INT8: { ort: "int8", onnx: 3, array: Int8Array, big: false },
  UINT16: { ort: "uint16", onnx: 4, array: Uint16Array, big: false },
  INT16: { ort: "int16", onnx: 5, array: Int16Array, big: false },
  UINT32: { ort: "uint32", onnx: 12, array: Uint32Array, big: false },
  INT32: { ort: "int32", onnx: 6, array: Int32Array, big: false },
  UINT64: { ort: "uint64", onnx: 13, array: BigUint64Array, big: true },
  INT64: { ort: "int64", onnx: 7, array: BigInt64Array, big: true },
  // FP16 travels as its IEEE-754 half bits (onnxruntime-web's own representation)
  FP16: { ort: "float16", onnx: 10, array: Uint16Array, big: false },
  FP32: { ort: "float32", onnx: 1, array: Float32Array, big: false },
  FP64: { ort: "float64", onnx: 11, array: Float64Array, big: false },
};

/** onnxruntime-web's and ONNX's names of `BYTES`: `string` tensors (`TensorProto.STRING` = 8). */
const BYTES_ORT = "string";
const BYTES_ONNX = 8;

const NUMERIC = Object.keys(INFO) as NumericDatatype[];
const BY_ORT = new Map<string, Datatype>([...NUMERIC.map((d) => [INFO[d].ort, d] as const), [BYTES_ORT, "BYTES"]]);
const BY_ONNX = new Map<number, Datatype>([...NUMERIC.map((d) => [INFO[d].onnx, d] as const), [BYTES_ONNX, "BYTES"]]);

export function isDatatype(value: unknown): value is Datatype {
  return value === "BYTES" || (typeof value === "string" && Object.hasOwn(INFO, value));
}

export function isNumeric(datatype: Datatype): datatype is NumericDatatype {
  return datatype !== "BYTES";
}

export function datatypeInfo(datatype: NumericDatatype): DatatypeInfo {
  return INFO[datatype];
}

/** onnxruntime-web's `Tensor.Type` of a datatype. */
export function ortType(datatype: Datatype): string {
  return isNumeric(datatype) ? INFO[datatype].ort : BYTES_ORT;
}

export function bytesPerElement(datatype: NumericDatatype): number {
  return INFO[datatype].array.BYTES_PER_ELEMENT;
}

export function datatypeFromOrt(type: string): Datatype | undefined {
  return BY_ORT.get(type);
}

export function datatypeFromOnnx(elemType: number): Datatype | undefined {
  return BY_ONNX.get(elemType);
}

/** A zeroed typed array for `length` elements of `datatype`. */
export function allocate(datatype: NumericDatatype, length: number): TypedData {
  return new INFO[datatype].array(length);
}

/**
 * A typed-array view of little-endian bytes. Views in place when the offset is aligned (no copy), copies otherwise.
 */
export function viewBytes(datatype: NumericDatatype, bytes: Uint8Array): TypedData {
  const { array } = INFO[datatype];
  const width = array.BYTES_PER_ELEMENT;
  const length = bytes.byteLength / width;
  if (bytes.byteOffset % width === 0) return new array(bytes.buffer, bytes.byteOffset, length);
  const copy = bytes.slice();
  return new array(copy.buffer, 0, length);
}

/** The raw little-endian bytes of a typed array (a view, no copy). */
export function asBytes(data: TypedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
