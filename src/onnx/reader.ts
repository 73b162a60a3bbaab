/**
 * Reads an ONNX `ModelProto` without decoding the weights: IR version, opsets, the graph's inputs/outputs with their
 * declared types, and every graph's nodes (operator, inputs, outputs, attributes, subgraphs) and tensors (type,
 * dims, byte size, and the values of small ones). Enough to check an upload before onnxruntime sees it; weights stay
 * views into the uploaded bytes. Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto).
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

export interface OnnxDim {
  value?: number;
  param?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** `TensorProto.DataType`; 0 when the value is not a tensor. */
  elemType: number;
  /** `null` when the model declares no shape (rank unknown); `[]` for a scalar. */
  dims: OnnxDim[] | null;
}

export interface OnnxOperator {
  domain: string;
  opType: string;
}

/** A tensor's description; its values only when it is small (`SMALL_TENSOR_ELEMENTS`) and numeric. */
export interface OnnxTensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  /** Bytes its data takes in the file (for external data: what the file says it would take). */
  byteLength: number;
  external: boolean;
  values?: number[];
}

export interface OnnxAttribute {
  i?: number;
  f?: number;
  s?: string;
  ints?: number[];
  floats?: number[];
  t?: OnnxTensorInfo;
  /** `g` and `graphs`: the bodies of If, Loop and Scan. */
  graphs: OnnxGraph[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  /** Input names in order; "" marks an optional input left out. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensorInfo[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelInfo {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Set<string>;
  /** Every node, in subgraphs too, in file order. */
  operators: OnnxOperator[];
  /** The main graph; subgraphs hang from their nodes' attributes. */
  graph: OnnxGraph;
  /** Nodes in every graph. */
  nodeCount: number;
}

export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

/** Thrown when a model has more nodes than the caller allows; reading stops there. */
export class OnnxTooLargeError extends Error {
  override name = "OnnxTooLargeError";
  constructor(readonly maxNodes: number) {
    super(`the model has more than ${maxNodes} nodes`);
  }
}

/** Tensors up to this many elements have their values read (shape arithmetic, trip counts, pads). */
export const SMALL_TENSOR_ELEMENTS = 1024;

/** Bytes per element of each `TensorProto.DataType` (0: strings, undefined types). */
export const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  14: 8, // COMPLEX64
  15: 16, // COMPLEX128
  16: 2, // BFLOAT16
};

/** Reads `bytes` as an ONNX model. Throws `OnnxFormatError` if it is not one, `OnnxTooLargeError` past `maxNodes`. */
export function readOnnxModel(bytes: Uint8Array, options: { maxNodes?: number } = {}): OnnxModelInfo {
  const state: ReadState = { operators: [], nodeCount: 0, maxNodes: options.maxNodes ?? Number.POSITIVE_INFINITY };
  const info: OnnxModelInfo = {
    irVersion: 0,
    producer: "",
    opsets: [],
    inputs: [],
    outputs: [],
    initializers: new Set(),
    operators: state.operators,
    graph: emptyGraph(),
    nodeCount: 0,
  };
  let hasGraph = false;
  try {
    forEachField(bytes, (field, wire, r) => {
      if (field === 1 && wire === WireType.Varint) info.irVersion = Number(r.int64());
      else if (field === 2 && wire === WireType.LengthDelimited) info.producer = r.string();
      else if (field === 7 && wire === WireType.LengthDelimited) {
        info.graph = readGraph(r.bytes(), state, 0);
        hasGraph = true;
      } else if (field === 8 && wire === WireType.LengthDelimited) info.opsets.push(readOpset(r.bytes()));
      else return false;
      return true;
    });
  } catch (error) {
    if (error instanceof OnnxFormatError || error instanceof OnnxTooLargeError) throw error;
    throw new OnnxFormatError(`not a valid ONNX protobuf (${(error as Error).message})`);
  }
  if (info.irVersion <= 0) throw new OnnxFormatError("not an ONNX model: no ir_version");
  if (!hasGraph) throw new OnnxFormatError("not an ONNX model: no graph");
  info.inputs = info.graph.inputs;
  info.outputs = info.graph.outputs;
  info.initializers = new Set(info.graph.initializers.map((t) => t.name));
  info.nodeCount = state.nodeCount;
  if (info.outputs.length === 0) throw new OnnxFormatError("the graph declares no outputs");
  return info;
}

interface ReadState {
  operators: OnnxOperator[];
  nodeCount: number;
  maxNodes: number;
}

type FieldVisitor = (field: number, wire: WireType, reader: BinaryReader) => boolean;

/** Calls `visit` for each field; fields the visitor does not consume are skipped. */
function forEachField(bytes: Uint8Array, visit: FieldVisitor): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 0) throw new OnnxFormatError("field number 0");
    if (!visit(field, wire, r)) r.skip(wire, field);
  }
}

function readOpset(bytes: Uint8Array): { domain: string; version: number } {
  const opset = { domain: "", version: 0 };
  forEachField(bytes, (field, wire, r) => {
    if (field === 1 && wire === WireType.LengthDelimited) opset.domain = r.string();
    else if (field === 2 && wire === WireType.Varint) opset.version = Number(r.int64());
    else return false;
    return true;
  });
  return opset;
}

const MAX_SUBGRAPH_DEPTH = 16;

function emptyGraph(): OnnxGraph {
  return { nodes: [], initializers: [], inputs: [], outputs: [] };
}

function readGraph(bytes: Uint8Array, state: ReadState, depth: number): OnnxGraph {
  if (depth > MAX_SUBGRAPH_DEPTH) throw new OnnxFormatError("subgraphs nested too deeply");
  const graph = emptyGraph();
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) graph.nodes.push(readNode(r.bytes(), state, depth));
    else if (field === 5) graph.initializers.push(readTensor(r.bytes()));
    else if (field === 11) graph.inputs.push(readValueInfo(r.bytes()));
    else if (field === 12) graph.outputs.push(readValueInfo(r.bytes()));
    else return false;
    return true;
  });
  return graph;
}

function readNode(bytes: Uint8Array, state: ReadState, depth: number): OnnxNode {
  state.nodeCount += 1;
  if (state.nodeCount > state.maxNodes) throw new OnnxTooLargeError(state.maxNodes);
  const node: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: new Map() };
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) node.inputs.push(r.string());
    else if (field === 2) node.outputs.push(r.string());
    else if (field === 3) node.name = r.string();
    else if (field === 4) node.opType = r.string();
    else if (field === 7) node.domain = r.string();
    else if (field === 5) {
      const [name, attribute] = readAttribute(r.bytes(), state, depth);
      node.attributes.set(name, attribute);
    } else return false;
    return true;
  });
  if (!node.opType) throw new OnnxFormatError("a node has no op_type");
  state.operators.push({ domain: node.domain, opType: node.opType });
  return node;
}

/** AttributeProto: name (1), f (2), i (3), s (4), t (5), g (6), floats (7), ints (8), graphs (11). */
function readAttribute(bytes: Uint8Array, state: ReadState, depth: number): [string, OnnxAttribute] {
  let name = "";
  const attribute: OnnxAttribute = { graphs: [] };
  forEachField(bytes, (field, wire, r) => {
    if (field === 1 && wire === WireType.LengthDelimited) name = r.string();
    else if (field === 2 && wire === WireType.Bit32) attribute.f = r.float();
    else if (field === 3 && wire === WireType.Varint) attribute.i = Number(r.int64());
    else if (field === 4 && wire === WireType.LengthDelimited) attribute.s = new TextDecoder().decode(r.bytes());
    else if (field === 5 && wire === WireType.LengthDelimited) attribute.t = readTensor(r.bytes());
    else if ((field === 6 || field === 11) && wire === WireType.LengthDelimited)
      attribute.graphs.push(readGraph(r.bytes(), state, depth + 1));
    else if (field === 7) (attribute.floats ??= []).push(...readRepeated(r, wire, () => r.float()));
    else if (field === 8) (attribute.ints ??= []).push(...readRepeated(r, wire, () => Number(r.int64())));
    else return false;
    return true;
  });
  return [name, attribute];
}

/** A repeated scalar field, packed (one length-delimited run) or not (one value per tag). */
function readRepeated<T>(r: BinaryReader, wire: WireType, read: () => T): T[] {
  if (wire !== WireType.LengthDelimited) return [read()];
  const end = r.uint32() + r.pos;
  const values: T[] = [];
  while (r.pos < end) values.push(read());
  return values;
}

/**
 * TensorProto: dims (1), data_type (2), float_data (4), int32_data (5), string_data (6), int64_data (7), name (8),
 * raw_data (9), double_data (10), uint64_data (11), external_data (13), data_location (14). Data is measured, and
 * read only when the tensor is small.
 */
function readTensor(bytes: Uint8Array): OnnxTensorInfo {
  const tensor: OnnxTensorInfo = { name: "", dataType: 0, dims: [], byteLength: 0, external: false };
  let raw: Uint8Array | undefined;
  let typed: number[] | undefined;
  let typedTooMany = false;
  let stringBytes = 0;
  forEachField(bytes, (field, wire, r) => {
    if (field === 1) tensor.dims.push(...readRepeated(r, wire, () => Number(r.int64())));
    else if (field === 2 && wire === WireType.Varint) tensor.dataType = r.int32();
    else if (field === 8 && wire === WireType.LengthDelimited) tensor.name = r.string();
    else if (field === 9 && wire === WireType.LengthDelimited) raw = r.bytes();
    else if (field === 6 && wire === WireType.LengthDelimited) stringBytes += r.bytes().byteLength;
    else if (field in TYPED_READERS) {
      typed ??= [];
      if (typedTooMany) return false; // skipped
      const read = readSmallRepeated(r, wire, TYPED_READERS[field]!, typed);
      typedTooMany = read !== "all";
      return read !== "unread";
    } else if (field === 13 && wire === WireType.LengthDelimited) tensor.external = true;
    else if (field === 14 && wire === WireType.Varint) tensor.external ||= r.int32() === 1;
    else return false;
    return true;
  });
  const count = tensor.dims.reduce((n, d) => n * d, 1);
  const width = ELEMENT_BYTES[tensor.dataType] ?? 0;
  if (tensor.external || typed) tensor.byteLength = count * width;
  else tensor.byteLength = raw ? raw.byteLength : stringBytes;
  if (tensor.external || count > SMALL_TENSOR_ELEMENTS) return tensor;
  if (raw) tensor.values = rawValues(tensor.dataType, count, raw);
  else if (typed && !typedTooMany && typed.length === count) tensor.values = typed;
  return tensor;
}

/**
 * Appends a repeated field's values to `into` while they stay within `SMALL_TENSOR_ELEMENTS`: "all" when they do,
 * "more" when there were more (read anyway), "unread" when a packed run is too long to read (the reader is left
 * before it, for the caller to skip).
 */
function readSmallRepeated(
  r: BinaryReader,
  wire: WireType,
  read: (r: BinaryReader) => number,
  into: number[],
): "all" | "more" | "unread" {
  if (wire === WireType.LengthDelimited) {
    const start = r.pos;
    const length = r.uint32();
    // a packed value takes at least one byte and at most ten
    if (into.length + length / 10 > SMALL_TENSOR_ELEMENTS) {
      r.pos = start;
      return "unread";
    }
    const end = r.pos + length;
    while (r.pos < end) into.push(read(r));
  } else into.push(read(r));
  return into.length <= SMALL_TENSOR_ELEMENTS ? "all" : "more";
}

/** The values of a small numeric tensor's raw_data (little-endian); undefined for other types or a size mismatch. */
function rawValues(dataType: number, count: number, raw: Uint8Array): number[] | undefined {
  const width = ELEMENT_BYTES[dataType];
  const read = RAW_READERS[dataType];
  if (!width || !read || raw.byteLength !== count * width) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: count }, (_, i) => read(view, i * width));
}

const RAW_READERS: Readonly<Record<number, (view: DataView, at: number) => number>> = {
  1: (v, at) => v.getFloat32(at, true),
  2: (v, at) => v.getUint8(at),
  3: (v, at) => v.getInt8(at),
  4: (v, at) => v.getUint16(at, true),
  5: (v, at) => v.getInt16(at, true),
  6: (v, at) => v.getInt32(at, true),
  7: (v, at) => Number(v.getBigInt64(at, true)),
  9: (v, at) => v.getUint8(at),
  11: (v, at) => v.getFloat64(at, true),
  12: (v, at) => v.getUint32(at, true),
  13: (v, at) => Number(v.getBigUint64(at, true)),
};

/** float_data (4), int32_data (5, also the narrow integer types and BOOL), int64_data (7), double_data (10), uint64_data (11). */
const TYPED_READERS: Readonly<Record<number, (r: BinaryReader) => number>> = {
  4: (r) => r.float(),
  5: (r) => r.int32(),
  7: (r) => Number(r.int64()),
  10: (r) => r.double(),
  11: (r) => Number(r.uint64()),
};

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const value: OnnxValueInfo = { name: "", elemType: 0, dims: null };
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) value.name = r.string();
    else if (field === 2) readType(r.bytes(), value);
    else return false;
    return true;
  });
  return value;
}

/** TypeProto.tensor_type (1) -> { elem_type (1), shape (2) }. */
function readType(bytes: Uint8Array, value: OnnxValueInfo): void {
  forEachField(bytes, (field, wire, r) => {
    if (field !== 1 || wire !== WireType.LengthDelimited) return false;
    forEachField(r.bytes(), (f, w, t) => {
      if (f === 1 && w === WireType.Varint) value.elemType = t.int32();
      else if (f === 2 && w === WireType.LengthDelimited) value.dims = readShape(t.bytes());
      else return false;
      return true;
    });
    return true;
  });
}

function readShape(bytes: Uint8Array): OnnxDim[] {
  const dims: OnnxDim[] = [];
  forEachField(bytes, (field, wire, r) => {
    if (field !== 1 || wire !== WireType.LengthDelimited) return false;
    const dim: OnnxDim = {};
    forEachField(r.bytes(), (f, w, t) => {
      if (f === 1 && w === WireType.Varint) dim.value = Number(t.int64());
      else if (f === 2 && w === WireType.LengthDelimited) dim.param = t.string();
      else return false;
      return true;
    });
    dims.push(dim);
    return true;
  });
  return dims;
}
