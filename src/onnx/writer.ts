/**
 * Writes small ONNX models: the runtime's warm-up graph, the fixtures tests use to cover every datatype,
 * dynamic dimensions and multi-input/multi-output graphs, and generated fixture models (scripts/models/).
 * Not a general-purpose ONNX editor.
 *
 * @example
 * const bytes = writeOnnxModel({
 *   inputs: [{ name: "x", elemType: 1, dims: ["batch", 4] }],
 *   outputs: [{ name: "y", elemType: 1, dims: ["batch", 4] }],
 *   nodes: [{ opType: "Relu", inputs: ["x"], outputs: ["y"] }],
 * });
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export interface ValueSpec {
  name: string;
  /** `TensorProto.DataType` (1 = FLOAT, 7 = INT64, ...). */
  elemType: number;
  /** Numbers are fixed sizes, strings are symbolic (dynamic) dimensions; `null` leaves the rank unknown. */
  dims: (number | string)[] | null;
  /**
   * Containers around the tensor, outermost first: `"sequence"`, or a map from `mapKey` elements (a
   * `TensorProto.DataType`). `["sequence", { mapKey: 7 }]` is skl2onnx's ZipMap output, seq(map(int64, tensor)).
   */
  wrap?: ("sequence" | { mapKey: number })[];
}

/**
 * An int, ints, a string, or a tagged float, floats, strings, tensor (e.g. ConstantOfShape's `value`) or graph (a
 * Loop's or If's body): ONNX attribute types INT, INTS, STRING, FLOAT, FLOATS, STRINGS, TENSOR, GRAPH.
 */
export type AttributeValue =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
  | { tensor: InitializerSpec }
  | { graph: GraphSpec };

export interface NodeSpec {
  opType: string;
  /** The node's name (optional in ONNX). */
  name?: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface InitializerSpec {
  name: string;
  elemType: number;
  dims: number[];
  /** Little-endian element bytes. */
  raw: Uint8Array;
}

/** One graph: the model's, or a subgraph held by a node's attribute. */
export interface GraphSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
}

export interface ModelSpec extends GraphSpec {
  opset?: number;
  /** Opset imports for other domains (e.g. `{ domain: "com.microsoft", version: 1 }`). */
  domainOpsets?: { domain: string; version: number }[];
  irVersion?: number;
  producer?: string;
}

const LEN = WireType.LengthDelimited;

/** A FLOAT initializer from numbers (stored as float32, little-endian). */
export function float32Initializer(name: string, dims: number[], values: ArrayLike<number>): InitializerSpec {
  return { name, elemType: 1, dims, raw: littleEndianBytes(Float32Array.from(values)) };
}

/** An INT64 initializer from integers. */
export function int64Initializer(name: string, dims: number[], values: ArrayLike<number>): InitializerSpec {
  return { name, elemType: 7, dims, raw: littleEndianBytes(BigInt64Array.from(Array.from(values), (v) => BigInt(v))) };
}

/** An INT32 initializer from integers. */
export function int32Initializer(name: string, dims: number[], values: ArrayLike<number>): InitializerSpec {
  return { name, elemType: 6, dims, raw: littleEndianBytes(Int32Array.from(values)) };
}

/** A UINT8 initializer from bytes (e.g. product-quantization codes). */
export function uint8Initializer(name: string, dims: number[], values: ArrayLike<number>): InitializerSpec {
  return { name, elemType: 2, dims, raw: Uint8Array.from(values) };
}

/** Typed arrays are little-endian on every platform we run on (x86-64, arm64, workerd). */
function littleEndianBytes(array: Float32Array | BigInt64Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function writeOnnxModel(spec: ModelSpec): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int64(spec.irVersion ?? 8);
  w.tag(2, LEN).string(spec.producer ?? "edge-maas");
  w.tag(7, LEN).fork();
  writeGraph(w, spec);
  w.join();
  w.tag(8, LEN)
    .fork()
    .tag(1, LEN)
    .string("")
    .tag(2, WireType.Varint)
    .int64(spec.opset ?? 17)
    .join();
  for (const { domain, version } of spec.domainOpsets ?? [])
    w.tag(8, LEN).fork().tag(1, LEN).string(domain).tag(2, WireType.Varint).int64(version).join();
  return w.finish();
}

function writeGraph(w: BinaryWriter, spec: GraphSpec): void {
  for (const node of spec.nodes) {
    w.tag(1, LEN).fork();
    for (const name of node.inputs) w.tag(1, LEN).string(name);
    for (const name of node.outputs) w.tag(2, LEN).string(name);
    if (node.name) w.tag(3, LEN).string(node.name);
    w.tag(4, LEN).string(node.opType);
    for (const [name, value] of Object.entries(node.attributes ?? {})) writeAttribute(w, name, value);
    if (node.domain) w.tag(7, LEN).string(node.domain);
    w.join();
  }
  w.tag(2, LEN).string("graph");
  for (const init of spec.initializers ?? []) writeTensor(w, 5, init);
  for (const value of spec.inputs) writeValueInfo(w, 11, value);
  for (const value of spec.outputs) writeValueInfo(w, 12, value);
}

/** TensorProto: dims (1), data_type (2), name (8), raw_data (9). */
function writeTensor(w: BinaryWriter, field: number, tensor: InitializerSpec): void {
  w.tag(field, LEN).fork();
  for (const d of tensor.dims) w.tag(1, WireType.Varint).int64(d);
  w.tag(2, WireType.Varint).int32(tensor.elemType);
  w.tag(8, LEN).string(tensor.name);
  w.tag(9, LEN).bytes(tensor.raw);
  w.join();
}

/** AttributeProto: name (1), f (2), i (3), s (4), t (5), g (6), floats (7), ints (8), strings (9), type (20). */
function writeAttribute(w: BinaryWriter, name: string, value: AttributeValue): void {
  w.tag(5, LEN).fork().tag(1, LEN).string(name);
  if (typeof value === "number") w.tag(3, WireType.Varint).int64(value).tag(20, WireType.Varint).int32(2);
  else if (typeof value === "string")
    w.tag(4, LEN).bytes(new TextEncoder().encode(value)).tag(20, WireType.Varint).int32(3);
  else if (Array.isArray(value)) {
    for (const v of value) w.tag(8, WireType.Varint).int64(v);
    w.tag(20, WireType.Varint).int32(7);
  } else if ("floats" in value) {
    for (const v of value.floats) w.tag(7, WireType.Bit32).float(v);
    w.tag(20, WireType.Varint).int32(6);
  } else if ("strings" in value) {
    for (const v of value.strings) w.tag(9, LEN).bytes(new TextEncoder().encode(v));
    w.tag(20, WireType.Varint).int32(8);
  } else if ("tensor" in value) {
    writeTensor(w, 5, value.tensor);
    w.tag(20, WireType.Varint).int32(4);
  } else if ("graph" in value) {
    w.tag(6, LEN).fork();
    writeGraph(w, value.graph);
    w.join();
    w.tag(20, WireType.Varint).int32(5);
  } else w.tag(2, WireType.Bit32).float(value.float).tag(20, WireType.Varint).int32(1);
  w.join();
}

function writeValueInfo(w: BinaryWriter, field: number, value: ValueSpec): void {
  w.tag(field, LEN).fork().tag(1, LEN).string(value.name);
  w.tag(2, LEN).fork(); // TypeProto
  writeTensorType(w, value, value.wrap ?? []);
  w.join().join();
}

/** TypeProto: tensor_type (1), sequence_type (4) { elem_type (1) }, map_type (5) { key_type (1), value_type (2) }. */
function writeTensorType(w: BinaryWriter, value: ValueSpec, wrap: ValueSpec["wrap"] & object): void {
  const [outer, ...inner] = wrap;
  if (outer === "sequence") {
    w.tag(4, LEN).fork().tag(1, LEN).fork();
    writeTensorType(w, value, inner);
    w.join().join();
    return;
  }
  if (outer) {
    w.tag(5, LEN).fork().tag(1, WireType.Varint).int32(outer.mapKey).tag(2, LEN).fork();
    writeTensorType(w, value, inner);
    w.join().join();
    return;
  }
  w.tag(1, LEN).fork(); // TypeProto.Tensor
  w.tag(1, WireType.Varint).int32(value.elemType);
  if (value.dims) {
    w.tag(2, LEN).fork();
    for (const d of value.dims) {
      w.tag(1, LEN).fork();
      if (typeof d === "number") w.tag(1, WireType.Varint).int64(d);
      else w.tag(2, LEN).string(d);
      w.join();
    }
    w.join();
  }
  w.join();
}
