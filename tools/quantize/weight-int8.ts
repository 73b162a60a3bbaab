/**
 * Weight-only int8: each chosen float32 weight becomes an int8 initializer plus one float32 scale per output
 * channel, and a small subgraph that restores the float32 value under the weight's original name, so every consumer
 * (in any scope) is untouched and computes in float32 as before.
 *
 * - `dequantize: "DequantizeLinear"` (opset ≥ 13, per-axis): the standard QDQ form every ONNX tool understands.
 *   onnxruntime keeps DequantizeLinear nodes out of constant folding (so QDQ fusions can see them): they run on
 *   every inference.
 * - `dequantize: "Cast+Mul"`: Cast(int8 → float) × scale (broadcast along the channel axis), valid from opset 7.
 *   onnxruntime's constant folding turns it back into a float32 initializer when the session is created, so runs
 *   cost exactly what the float32 model costs; only the file (and R2 read) shrinks.
 */
import { DataType, float32Values, type GraphProto, makeNode, makeTensor, type NodeProto } from "../../src/onnx/model";
import type { GraphIndex } from "./graph";
import { quantizePerChannel } from "./int8";
import { channelAxis, type Weight } from "./weights";

export type Dequantize = "DequantizeLinear" | "Cast+Mul";

export interface QuantizedWeight {
  name: string;
  dims: number[];
  axis: number;
  consumers: string[];
}

/** Replaces each weight in place (see the module comment). The weights must have passed `whyNotQuantizable`. */
export function storeWeightsAsInt8(weights: Weight[], index: GraphIndex, dequantize: Dequantize): QuantizedWeight[] {
  const done: QuantizedWeight[] = [];
  const prepend = new Map<GraphProto, NodeProto[]>();
  for (const weight of weights) {
    const axis = channelAxis(weight);
    const { values, scales } = quantizePerChannel(float32Values(weight.tensor)!, weight.dims, axis);
    const quantizedName = index.names.fresh(`${weight.name}_quantized`);
    const scaleName = index.names.fresh(`${weight.name}_scale`);
    const scaleDims =
      dequantize === "DequantizeLinear" ? [scales.length] : weight.dims.map((d, i) => (i === axis ? d : 1));
    weight.graph.initializer.push(
      makeTensor(quantizedName, DataType.INT8, weight.dims, values),
      makeTensor(scaleName, DataType.FLOAT, scaleDims, scales),
    );
    const restore = restoringNodes(weight.name, quantizedName, scaleName, axis, dequantize, index);
    if (weight.constant) {
      weight.graph.node.splice(weight.graph.node.indexOf(weight.constant), 1, ...restore);
    } else {
      weight.graph.initializer = weight.graph.initializer.filter((t) => t !== weight.tensor);
      prepend.set(weight.graph, [...(prepend.get(weight.graph) ?? []), ...restore]);
    }
    done.push({
      name: weight.name,
      dims: weight.dims,
      axis,
      consumers: weight.consumers.map((c) => c.node.name || c.node.opType),
    });
  }
  for (const [graph, nodes] of prepend) graph.node.unshift(...nodes); // initializers are defined before any node
  return done;
}

function restoringNodes(
  name: string,
  quantized: string,
  scale: string,
  axis: number,
  dequantize: Dequantize,
  index: GraphIndex,
): NodeProto[] {
  if (dequantize === "DequantizeLinear") {
    return [
      makeNode(
        "DequantizeLinear",
        [quantized, scale],
        [name],
        { axis },
        { name: index.names.fresh(`${name}_DequantizeLinear`) },
      ),
    ];
  }
  const asFloat = index.names.fresh(`${name}_int8_as_float`);
  return [
    makeNode("Cast", [quantized], [asFloat], { to: DataType.FLOAT }, { name: index.names.fresh(`${name}_Cast`) }),
    makeNode("Mul", [asFloat, scale], [name], {}, { name: index.names.fresh(`${name}_Scale`) }),
  ];
}
