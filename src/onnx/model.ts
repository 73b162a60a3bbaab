/**
 * The whole ONNX model as messages, for tools that rewrite graphs (the quantizer). Decoding and encoding go through
 * @bufbuild/protobuf with the schema generated from onnx.proto (./gen, `npm run gen:onnx`); fields this schema does
 * not know survive a round trip unchanged. reader.ts stays the cheap path for validating uploads.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type AttributeProto,
  AttributeProtoSchema,
  AttributeProto_AttributeType as AttributeType,
  TensorProto_DataType as DataType,
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProtoSchema,
} from "./gen/onnx_pb";
import { OnnxFormatError } from "./reader";

export {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
};

export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (error) {
    throw new OnnxFormatError(`not a valid ONNX protobuf (${(error as Error).message})`);
  }
  if (!model.graph) throw new OnnxFormatError("not an ONNX model: no graph");
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** The opset version the model imports for `domain` ("" is the default ONNX domain), or undefined. */
export function opsetVersion(model: ModelProto, domain = ""): number | undefined {
  const found = model.opsetImport.find((o) => o.domain === domain || (domain === "" && o.domain === "ai.onnx"));
  return found ? Number(found.version) : undefined;
}

export function elementCount(dims: readonly (number | bigint)[]): number {
  return dims.reduce<number>((count, d) => count * Number(d), 1);
}

/**
 * The values of a FLOAT tensor (raw_data or float_data), or undefined for other types and for tensors stored
 * outside the file (external data).
 */
export function float32Values(tensor: TensorProto): Float32Array | undefined {
  if (tensor.dataType !== DataType.FLOAT || tensor.dataLocation === TensorProto_DataLocation.EXTERNAL) return undefined;
  const count = elementCount(tensor.dims);
  if (tensor.rawData.byteLength > 0) {
    if (tensor.rawData.byteLength !== count * 4) return undefined;
    const copy = tensor.rawData.slice(); // aligned, and ours to keep
    return new Float32Array(copy.buffer, copy.byteOffset, count);
  }
  return tensor.floatData.length === count ? Float32Array.from(tensor.floatData) : undefined;
}

/** A tensor with little-endian `raw_data` (typed arrays are little-endian on every platform we run on). */
export function makeTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  values: ArrayBufferView,
): TensorProto {
  const rawData = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return create(TensorProtoSchema, { name, dataType, dims: dims.map(BigInt), rawData });
}

export type AttributeInput =
  | number
  | bigint
  | string
  | number[]
  | { float: number }
  | { floats: number[] }
  | TensorProto;

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeInput> = {},
  options: { name?: string; domain?: string } = {},
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: inputs,
    output: outputs,
    name: options.name ?? "",
    domain: options.domain ?? "",
    attribute: Object.entries(attributes).map(([name, value]) => makeAttribute(name, value)),
  });
}

export function makeAttribute(name: string, value: AttributeInput): AttributeProto {
  if (typeof value === "number" || typeof value === "bigint")
    return create(AttributeProtoSchema, { name, type: AttributeType.INT, i: BigInt(value) });
  if (typeof value === "string")
    return create(AttributeProtoSchema, { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value))
    return create(AttributeProtoSchema, { name, type: AttributeType.INTS, ints: value.map(BigInt) });
  if ("float" in value) return create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: value.float });
  if ("floats" in value)
    return create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: value.floats });
  return create(AttributeProtoSchema, { name, type: AttributeType.TENSOR, t: value });
}

export function findAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const found = findAttribute(node, name);
  return found ? Number(found.i) : fallback;
}

export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const found = findAttribute(node, name);
  return found ? found.f : fallback;
}

export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const found = findAttribute(node, name);
  return found ? found.ints.map(Number) : undefined;
}

export function removeAttributes(node: NodeProto, ...names: string[]): void {
  node.attribute = node.attribute.filter((a) => !names.includes(a.name));
}

/** The graphs held by a node's attributes (If branches, Loop and Scan bodies). */
export function subgraphsOf(node: NodeProto): GraphProto[] {
  return node.attribute.flatMap((a) => [...(a.g ? [a.g] : []), ...a.graphs]);
}

/** Calls `visit` for the graph and every subgraph under it, outermost first. */
export function forEachGraph(graph: GraphProto, visit: (graph: GraphProto, depth: number) => void, depth = 0): void {
  visit(graph, depth);
  for (const node of graph.node) for (const sub of subgraphsOf(node)) forEachGraph(sub, visit, depth + 1);
}
