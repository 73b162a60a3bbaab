/**
 * Reads what we need from an ONNX `ModelProto` without decoding the weights: IR version, opsets, the graph's
 * inputs/outputs with their declared types, and every node's operator (subgraphs included).
 * Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto).
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

export interface OnnxModelInfo {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: Set<string>;
  /** Every node, in subgraphs too, in file order. */
  operators: OnnxOperator[];
}

export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

/** Reads `bytes` as an ONNX model. Throws `OnnxFormatError` if it is not one. */
export function readOnnxModel(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = {
    irVersion: 0,
    producer: "",
    opsets: [],
    inputs: [],
    outputs: [],
    initializers: new Set(),
    operators: [],
  };
  let hasGraph = false;
  try {
    forEachField(bytes, (field, wire, r) => {
      if (field === 1 && wire === WireType.Varint) info.irVersion = Number(r.int64());
      else if (field === 2 && wire === WireType.LengthDelimited) info.producer = r.string();
      else if (field === 7 && wire === WireType.LengthDelimited) {
        readGraph(r.bytes(), info, true, 0);
        hasGraph = true;
      } else if (field === 8 && wire === WireType.LengthDelimited) info.opsets.push(readOpset(r.bytes()));
      else return false;
      return true;
    });
  } catch (error) {
    if (error instanceof OnnxFormatError) throw error;
    throw new OnnxFormatError(`not a valid ONNX protobuf (${(error as Error).message})`);
  }
  if (info.irVersion <= 0) throw new OnnxFormatError("not an ONNX model: no ir_version");
  if (!hasGraph) throw new OnnxFormatError("not an ONNX model: no graph");
  if (info.outputs.length === 0) throw new OnnxFormatError("the graph declares no outputs");
  return info;
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

function readGraph(bytes: Uint8Array, info: OnnxModelInfo, main: boolean, depth: number): void {
  if (depth > MAX_SUBGRAPH_DEPTH) throw new OnnxFormatError("subgraphs nested too deeply");
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) info.operators.push(readNode(r.bytes(), info, depth));
    else if (main && field === 5) info.initializers.add(readName(r.bytes()));
    else if (main && field === 11) info.inputs.push(readValueInfo(r.bytes()));
    else if (main && field === 12) info.outputs.push(readValueInfo(r.bytes()));
    else return false;
    return true;
  });
}

function readNode(bytes: Uint8Array, info: OnnxModelInfo, depth: number): OnnxOperator {
  const op: OnnxOperator = { domain: "", opType: "" };
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 4) op.opType = r.string();
    else if (field === 7) op.domain = r.string();
    else if (field === 5) readAttributeGraphs(r.bytes(), info, depth);
    else return false;
    return true;
  });
  if (!op.opType) throw new OnnxFormatError("a node has no op_type");
  return op;
}

/** AttributeProto: `g` (6) and `graphs` (11) hold subgraphs (If, Loop, Scan). */
function readAttributeGraphs(bytes: Uint8Array, info: OnnxModelInfo, depth: number): void {
  forEachField(bytes, (field, wire, r) => {
    if (wire !== WireType.LengthDelimited || (field !== 6 && field !== 11)) return false;
    readGraph(r.bytes(), info, false, depth + 1);
    return true;
  });
}

/** TensorProto.name (8). */
function readName(tensorProto: Uint8Array): string {
  let name = "";
  forEachField(tensorProto, (field, wire, r) => {
    if (field !== 8 || wire !== WireType.LengthDelimited) return false;
    name = r.string();
    return true;
  });
  return name;
}

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
