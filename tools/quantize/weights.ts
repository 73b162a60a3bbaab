/**
 * Finds the float32 weight tensors of a model, stored as initializers or as Constant nodes (exporters such as
 * paddle2onnx and spox put every weight in a Constant), in the main graph and in subgraphs, with their consumers;
 * and decides which may be stored as int8, giving the reason for each one that may not.
 */
import {
  DataType,
  elementCount,
  findAttribute,
  float32Values,
  forEachGraph,
  type GraphProto,
  intAttribute,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from "../../src/onnx/model";
import type { Consumer, GraphIndex } from "./graph";

export interface Weight {
  name: string;
  graph: GraphProto;
  /** The Constant node holding it, or undefined for an initializer. */
  constant?: NodeProto;
  tensor: TensorProto;
  dims: number[];
  consumers: Consumer[];
}

export interface SkippedWeight {
  name: string;
  dims: number[];
  reason: string;
}

export interface WeightOptions {
  /** Tensors with fewer elements stay float32 (default 1024: 4 KiB or less, not worth a dequantize). */
  minElements: number;
}

/**
 * Inputs that onnxruntime reads on the host while planning (sizes, scales, bounds): they must stay plain constants.
 * Float ones only, since integer tensors are never quantized anyway.
 */
const HOST_CONSTANT_INPUTS: Record<string, number[]> = {
  Resize: [1, 2],
  Upsample: [1],
  Clip: [1, 2],
  Pad: [2],
};

/** Every non-scalar FLOAT tensor held by an initializer or a Constant's `value`, in every graph. */
export function floatWeights(model: ModelProto, index: GraphIndex): Weight[] {
  const weights: Weight[] = [];
  forEachGraph(model.graph!, (graph) => {
    for (const tensor of graph.initializer) {
      if (tensor.dataType === DataType.FLOAT && tensor.dims.length > 0)
        weights.push(describe(tensor.name, graph, tensor, index));
    }
    for (const node of graph.node) {
      if (node.opType !== "Constant" || (node.domain !== "" && node.domain !== "ai.onnx")) continue;
      const tensor = findAttribute(node, "value")?.t;
      if (tensor?.dataType === DataType.FLOAT && tensor.dims.length > 0 && node.output[0])
        weights.push({ ...describe(node.output[0], graph, tensor, index), constant: node });
    }
  });
  return weights;
}

function describe(name: string, graph: GraphProto, tensor: TensorProto, index: GraphIndex): Weight {
  return { name, graph, tensor, dims: tensor.dims.map(Number), consumers: index.consumers.get(name) ?? [] };
}

/** Why `weight` must stay float32, or undefined when it may be stored as int8. */
export function whyNotQuantizable(weight: Weight, index: GraphIndex, options: WeightOptions): string | undefined {
  const elements = elementCount(weight.dims);
  if (elements < options.minElements) return `fewer than ${options.minElements} elements`;
  if (weight.dims.length < 2) return "1-D (a bias, scale or normalization vector)";
  if (!float32Values(weight.tensor)) return "its data is stored outside the file or is malformed";
  if (index.graphInputs.has(weight.name)) return "also a graph input (callers may override it)";
  if (index.graphOutputs.has(weight.name)) return "also a graph output";
  if ((index.definitions.get(weight.name) ?? 0) > 1) return "its name is defined more than once across scopes";
  if (weight.consumers.length === 0) return "unused";
  for (const { node, input } of weight.consumers) {
    if (HOST_CONSTANT_INPUTS[node.opType]?.includes(input)) return `${node.opType} input ${input} must stay a constant`;
  }
  return undefined;
}

/**
 * The axis that gets one scale per index: the output-channel axis of the first consumer that is a known weight
 * input (Conv: 0, ConvTranspose: 1, MatMul B [K, N]: 1, Gemm B: 0 or 1 by transB, LSTM/GRU/RNN W and R: 1,
 * Gather data: 0), else axis 0 (tensors reshaped before use: exporters keep the output channel first).
 */
export function channelAxis(weight: Weight): number {
  const rank = weight.dims.length;
  for (const { node, input } of weight.consumers) {
    switch (node.opType) {
      case "Conv":
        if (input === 1) return 0;
        break;
      case "ConvTranspose":
        if (input === 1) return 1;
        break;
      case "MatMul":
        if (input === 1) return rank - 1;
        if (input === 0) return rank - 2;
        break;
      case "Gemm":
        if (input === 1) return intAttribute(node, "transB", 0) ? 0 : 1;
        if (input === 0) return intAttribute(node, "transA", 0) ? 1 : 0;
        break;
      case "LSTM":
      case "GRU":
      case "RNN":
        if (input === 1 || input === 2) return 1;
        break;
      case "Gather":
        if (input === 0) return 0;
        break;
    }
  }
  return 0;
}
