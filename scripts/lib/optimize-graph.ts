/**
 * Writes a model's graph optimized ahead of time by onnxruntime, the companion a version may carry
 * (`PUT /admin/models/{model}/versions/{version}/optimized?level=`): the Worker then creates that version's sessions
 * with optimizations off. At the `basic` level: constant folding, redundant node elimination, simple fusions; at
 * `extended`, also fusions into the CPU execution provider's own kernels (a convolution with its activation, a matrix
 * product with its bias), which onnxruntime-web's WASM backend has too. `all` would add a layout for this machine's
 * CPU, which the Worker cannot run. onnxruntime-web cannot write it (its WASM build has no file system), so it is made
 * here, in Node, by onnxruntime-node. Node only; used through ./companion.ts by the seeding of bundled models and the
 * CLI's `models push`, and by the tests' REFERENCE service.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OptimizationLevel } from "../../src/registry/manifest";

/**
 * The graph of `model` (the .onnx file's bytes) optimized at `level` by onnxruntime-node.
 *
 * @example
 * const optimized = await optimizeGraph(await readFile("model.onnx"), "extended");
 */
export async function optimizeGraph(model: Uint8Array, level: OptimizationLevel = "basic"): Promise<Uint8Array> {
  // loaded on first use: onnxruntime-node is a devDependency (a clone has it after `npm ci`; 20-35 ms to load)
  const ort = await import("onnxruntime-node");
  const dir = await mkdtemp(join(tmpdir(), "edge-maas-optimize-"));
  try {
    const input = join(dir, "model.onnx");
    const output = join(dir, "optimized.onnx");
    await writeFile(input, model);
    // from a path, so that a model with external data would resolve it beside the file (the Worker refuses those anyway)
    const session = await ort.InferenceSession.create(input, {
      graphOptimizationLevel: level,
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
