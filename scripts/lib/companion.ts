/**
 * Whether a version gets a graph optimized ahead of time (./optimize-graph.ts) beside it, and that graph: the rule the
 * producers (seeding, `edge-maas models push`) share; ./store-companion.ts uploads it. Node only.
 */
import { type OnnxGraph, type OnnxModelInfo, type OnnxTensorInfo, readOnnxModel } from "../../src/onnx/reader";
import type { OptimizationLevel } from "../../src/registry/manifest";
import { optimizeGraph } from "./optimize-graph";
import type { Companion } from "./store-companion";

export type { Companion } from "./store-companion";

/**
 * An optimized graph this much larger than its original (plus 64 KiB for small files' metadata) is not worth storing:
 * it costs more R2 reading and memory than the skipped optimization saves.
 */
export const MAX_GROWTH = 1.5;
/**
 * Weights stored as 8-bit integers and turned back into float32 by the graph itself (the `weight-int8-folded`
 * quantization) are unpacked by every session's creation too, at any optimization level: an optimized graph that
 * holds them unpacked (4x the bytes, and their scales) holds what its sessions would hold anyway, and only costs a larger read.
 */
export const MAX_GROWTH_UNPACKED = 5;
const GROWTH_SLACK = 64 * 1024;
const INT8 = 3;
const UINT8 = 2;
/**
 * Operators of quantized graphs. onnxruntime fuses them into int8 kernels only at the `extended` level, and picks
 * those kernels and their integer types for the CPU it runs on, which for the Worker is onnxruntime-web's WASM build,
 * not the machine writing the graph; and `basic` constant folding turns weights stored as int8 back into float32
 * (2-5x the bytes, measured on the bundled int8 versions). Such graphs are optimized as they are loaded.
 */
const QUANTIZED =
  /^(DequantizeLinear|QuantizeLinear|DynamicQuantizeLinear|QLinear\w+|MatMulInteger|ConvInteger|MatMulNBits|DynamicQuantizeMatMul|MatMulIntegerToFloat)$/;

/**
 * The optimized graph of `model` at `level` when it is worth storing (not for graphs with int8 kernels; see
 * `MAX_GROWTH`).
 */
export async function companionOf(model: Uint8Array, level: OptimizationLevel = "extended"): Promise<Companion> {
  const quantized = readOnnxModel(model).operators.find((op) => QUANTIZED.test(op.opType));
  if (quantized)
    return {
      skipped: `a quantized graph (${quantized.opType}) keeps its int8 kernels only when optimized as it is loaded`,
    };
  const graph = await optimizeGraph(model, level);
  const unpacked = storesBytesAsWeights(readOnnxModel(model)) && !storesBytesAsWeights(readOnnxModel(graph));
  if (graph.byteLength > model.byteLength * (unpacked ? MAX_GROWTH_UNPACKED : MAX_GROWTH) + GROWTH_SLACK)
    return { skipped: `the optimized graph is ${(graph.byteLength / model.byteLength).toFixed(1)}x the file's size` };
  return { graph, level };
}

/** Whether most of the graph's weight bytes (initializers and `Constant` values, in every graph) are 8-bit integers. */
function storesBytesAsWeights(info: OnnxModelInfo): boolean {
  const weights = tensorsOf(info.graph);
  const total = weights.reduce((sum, w) => sum + w.byteLength, 0);
  const bytes = weights.filter((w) => w.dataType === INT8 || w.dataType === UINT8);
  return total > 0 && bytes.reduce((sum, w) => sum + w.byteLength, 0) > total / 2;
}

/** A graph's stored tensors and those of its subgraphs (an If's branches, a Loop's body). */
function tensorsOf(graph: OnnxGraph): OnnxTensorInfo[] {
  return [
    ...graph.initializers,
    ...graph.nodes.flatMap((node) => [
      ...(node.opType === "Constant" && node.attributes.get("value")?.t ? [node.attributes.get("value")!.t!] : []),
      ...[...node.attributes.values()].flatMap((attribute) => attribute.graphs.flatMap(tensorsOf)),
    ]),
  ];
}
