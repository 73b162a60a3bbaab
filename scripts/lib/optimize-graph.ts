/**
 * Writes a model's graph optimized ahead of time at onnxruntime's hardware-independent `basic` level (constant
 * folding, redundant node elimination, simple fusions), the companion a version may carry
 * (`PUT /admin/models/{model}/versions/{version}/optimized`): the Worker then creates that version's sessions with
 * optimizations off. onnxruntime-web cannot write it (its WASM build has no file system), so it is made here, in
 * Node, by onnxruntime-node. Node only; used by the seeding of bundled models and the CLI's `models push`.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOnnxModel } from "../../src/onnx/reader.ts";

/** The level the Worker records; `extended` and `all` fuse into hardware-specific kernels and are not portable. */
export const OPTIMIZATION_LEVEL = "basic";

/**
 * The graph of `model` (the .onnx file's bytes) optimized at the `basic` level by onnxruntime-node.
 *
 * @example
 * const optimized = await optimizeGraph(await readFile("model.onnx"));
 */
export async function optimizeGraph(model: Uint8Array): Promise<Uint8Array> {
  // loaded on first use: onnxruntime-node is a devDependency, and its native module costs ~100 ms to load
  const ort = await import("onnxruntime-node");
  const dir = await mkdtemp(join(tmpdir(), "edge-maas-optimize-"));
  try {
    const input = join(dir, "model.onnx");
    const output = join(dir, "optimized.onnx");
    await writeFile(input, model);
    // from a path, so that a model with external data would resolve it beside the file (the Worker refuses those anyway)
    const session = await ort.InferenceSession.create(input, {
      graphOptimizationLevel: OPTIMIZATION_LEVEL,
      optimizedModelFilePath: output,
      intraOpNumThreads: 1,
      executionMode: "sequential",
    });
    await session.release();
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An optimized graph this much larger than its original (plus 64 KiB for small files' metadata) is not worth storing:
 * it costs more R2 reading and memory than the skipped optimization saves.
 */
export const MAX_GROWTH = 1.5;
const GROWTH_SLACK = 64 * 1024;
/**
 * Operators of quantized graphs. onnxruntime fuses them into int8 kernels only at the `extended` level, which an
 * optimized graph loaded with optimizations off never gets; and `basic` constant folding turns weights stored as
 * int8 back into float32 (2-5x the bytes, measured on the bundled int8 versions).
 */
const QUANTIZED =
  /^(DequantizeLinear|QuantizeLinear|DynamicQuantizeLinear|QLinear\w+|MatMulInteger|ConvInteger|MatMulNBits|DynamicQuantizeMatMul|MatMulIntegerToFloat)$/;

/** What a producer uploads beside a version: its optimized graph, or why there is none. */
export type Companion = { graph: Uint8Array } | { skipped: string };

/** The optimized graph of `model` when it is worth storing (not for quantized graphs; see `MAX_GROWTH`). */
export async function companionOf(model: Uint8Array): Promise<Companion> {
  const quantized = readOnnxModel(model).operators.find((op) => QUANTIZED.test(op.opType));
  if (quantized)
    return {
      skipped: `a quantized graph (${quantized.opType}) keeps its int8 kernels only when optimized as it is loaded`,
    };
  const graph = await optimizeGraph(model);
  if (graph.byteLength > model.byteLength * MAX_GROWTH + GROWTH_SLACK)
    return { skipped: `the optimized graph is ${(graph.byteLength / model.byteLength).toFixed(1)}x the file's size` };
  return { graph };
}
