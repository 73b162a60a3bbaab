/**
 * The checks a version's optimized graph (its companion, written ahead of time by onnxruntime-node at the `basic` or
 * `extended` level) passes before it is stored, beyond those of any upload (size, node count, loops, the ZipMap rewrite): its
 * graph-level names first, before onnxruntime sees it; then, once loaded with optimizations off, the same inputs and
 * outputs (names, datatypes, shapes) as the served graph and the same outputs on generated inputs
 * (src/runtime/graph-agreement.ts). Its session stays loaded: it is what the version serves from then on.
 */
import { AppError } from "../errors";
import type { OnnxModelInfo } from "../onnx/reader";
import type { MemoryProfile } from "../runtime/budget";
import { generatedInputs, outputsDifference, type SampleInputs, signatureDifference } from "../runtime/graph-agreement";
import type { InspectOptions, ModelSource } from "../runtime/session-pool";
import type { VersionEntry } from "./manifest";
import type { ModelRuntime } from "./registry";

export interface OptimizedGraphCheck {
  runtime: ModelRuntime;
  /** The graph the version serves without a companion. */
  original: ModelSource;
  companion: ModelSource;
  /** The companion's graph as read from its bytes. */
  info: OnnxModelInfo;
  entry: VersionEntry;
  inspectOptions: InspectOptions;
  /** The manifest's `sampleInputs`: shapes and values the generated inputs must use. */
  samples?: SampleInputs;
}

/** Checks the companion; returns its session's measured memory. Throws `optimized_graph_differs` (422). */
export async function checkOptimizedGraph(check: OptimizedGraphCheck): Promise<MemoryProfile> {
  const { runtime, original, companion, info, entry } = check;
  const differs = (what: string) =>
    new AppError("optimized_graph_differs", `the optimized graph does not match the version's graph: ${what}`);

  const graphInputs = info.inputs.filter((input) => !info.initializers.has(input.name));
  const named = signatureDifference(
    { inputs: entry.inputs, outputs: entry.outputs },
    {
      inputs: graphInputs.map((input) => specOf(input.name, entry.inputs)),
      outputs: info.outputs.map((output) => specOf(output.name, entry.outputs)),
    },
  );
  if (named) throw differs(named);

  const declared = new Map([...info.inputs, ...info.outputs].map((value) => [value.name, value]));
  const { signature, memory } = await runtime.inspect(companion, declared, check.inspectOptions);
  const signatures = signatureDifference({ inputs: entry.inputs, outputs: entry.outputs }, signature);
  if (signatures) throw differs(signatures);

  let compared = 0;
  for (const kind of ["varied", "zeros"] as const) {
    const inputs = generatedInputs(entry.inputs, kind, check.samples);
    const reference = await runtime.run(original, inputs).catch(ranOut);
    if (!reference) continue; // not inputs this model takes (e.g. a sample rate it checks)
    const answer = await runtime.run(companion, inputs).catch((error: unknown) => {
      if (ranOut(error) === undefined)
        throw differs(`it fails on ${kind} inputs the version's graph runs (${errorText(error)})`);
    });
    if (!answer) continue;
    const outputs = outputsDifference(reference.outputs, answer.outputs);
    if (outputs) throw differs(`on ${kind} generated inputs, ${outputs}`);
    compared += 1;
  }
  if (compared === 0)
    throw new AppError(
      "invalid_model",
      "the version's graph runs on none of the generated inputs (varied values, then zeros), so an optimized graph cannot be compared with it: give the manifest `sampleInputs` the graph accepts (e.g. a value it checks), or serve it as uploaded",
    );
  return memory;
}

/** A spec with the served graph's datatype and shape under another name: only names are compared at this stage. */
function specOf(name: string, specs: VersionEntry["inputs"]) {
  const same = specs.find((spec) => spec.name === name);
  return { name, datatype: same?.datatype ?? "FP32", shape: same?.shape ?? null };
}

/** Undefined for a run the model refused (its inputs), so the caller moves on; anything else (busy) is thrown. */
function ranOut(error: unknown): undefined {
  if (error instanceof AppError && (error.code === "inference_failed" || error.code === "too_much_compute"))
    return undefined;
  throw error;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
