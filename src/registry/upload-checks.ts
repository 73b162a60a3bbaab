/**
 * What an uploaded model must satisfy before onnxruntime is given it: nothing is allocated for a model these checks
 * refuse. A Worker cannot interrupt WebAssembly once it runs, so everything that could make one session creation or
 * one run unbounded in time or memory is decided from the graph itself:
 * - the node count (graph resolution and optimisation take time in proportion);
 * - the weights' bytes, which must fit the WASM budget twice while the session is created, and no external data;
 * - every tensor a graph builds from numbers (ConstantOfShape, Expand, Tile, Range, Resize, Upsample, Pad, OneHot,
 *   RandomNormal, RandomUniform): from constants, at most half the budget; from the request, checked before each
 *   run; from values computed during the run, refused (src/onnx/size-analysis.ts);
 * - every `Loop`: a constant trip count up to the limit; any other (from the request, computed, or none at all) only
 *   when the manifest sets `limits.maxLoopIterations`, which then caps every loop in the graph.
 * `Scan` iterates over a tensor that already exists and `If` runs one branch: both are checked through their bodies.
 */
import { AppError } from "../errors";
import { OnnxFormatError, type OnnxGraph, type OnnxModelInfo, OnnxTooLargeError, readOnnxModel } from "../onnx/reader";
import { analyzeSizes, defaultOpset, type SizeProgram } from "../onnx/size-analysis";

export interface UploadLimits {
  /** Nodes in all graphs. */
  maxNodes: number;
  /** The WASM heap's budget: weights may take half of it, one tensor built from constants half of it. */
  budgetBytes: number;
  /** Trip count a constant-count `Loop` may have without the manifest saying more. */
  defaultLoopIterations: number;
}

/** What the checks leave for the runtime: request-time size checks, and the loop cap to apply. */
export interface GraphChecks {
  sizes?: { program: SizeProgram; opset: number };
  loopCap?: number;
}

const MiB = 1024 * 1024;

/** Reads an upload as ONNX, stopping at the node limit. */
export function readUpload(bytes: Uint8Array, limits: UploadLimits): OnnxModelInfo {
  try {
    return readOnnxModel(bytes, { maxNodes: limits.maxNodes });
  } catch (error) {
    if (error instanceof OnnxFormatError) throw new AppError("invalid_model", error.message);
    if (error instanceof OnnxTooLargeError)
      throw new AppError(
        "invalid_model",
        `the model has more than ${limits.maxNodes} nodes, this server's limit (MAX_GRAPH_NODES); larger graphs take too long to load in a Worker`,
      );
    throw error;
  }
}

export function checkGraph(model: OnnxModelInfo, limits: UploadLimits, maxLoopIterations?: number): GraphChecks {
  checkWeights(model, limits);
  const analysis = analyzeSizes(model);
  const maxTensorBytes = limits.budgetBytes / 2;
  for (const found of analysis.expansions) {
    const what = `node '${found.node}' (${found.opType})`;
    if (found.origin === "run")
      throw new AppError(
        "invalid_model",
        `${what} sizes its output from values the model computes while it runs${found.via ? ` (through '${found.via}')` : ""}; edge-maas must bound every tensor before a run starts, because a Worker cannot interrupt WebAssembly once it runs`,
      );
    if (found.origin === "constant" && found.elements! * found.bytesPerElement > maxTensorBytes)
      throw new AppError(
        "invalid_model",
        `${what} makes a tensor of ${found.elements} elements (${mib(found.elements! * found.bytesPerElement)} MiB); one tensor may take at most ${mib(maxTensorBytes)} MiB of this server's ${mib(limits.budgetBytes)} MiB WASM budget`,
      );
  }
  let loopCap: number | undefined;
  for (const loop of analysis.loops) {
    const what = `node '${loop.node}' (Loop)`;
    const limit = maxLoopIterations ?? limits.defaultLoopIterations;
    if (loop.origin === "constant") {
      if (loop.trips! > limit)
        throw new AppError(
          "invalid_model",
          `${what} runs ${loop.trips} times; the limit is ${limit} (${maxLoopIterations ? "the manifest's limits.maxLoopIterations" : "set the manifest's limits.maxLoopIterations to allow more"})`,
        );
      continue;
    }
    if (maxLoopIterations === undefined) {
      const why =
        loop.origin === "none"
          ? "has no trip count and stops only when its condition turns false"
          : loop.origin === "request"
            ? "takes its trip count from the request"
            : `takes its trip count from values computed while the model runs${loop.via ? ` (through '${loop.via}')` : ""}`;
      throw new AppError(
        "invalid_model",
        `${what} ${why}; a Worker cannot interrupt WebAssembly once it runs, so such a loop needs a bound: set the manifest's limits.maxLoopIterations (requests asking for more are refused, and every loop stops there)`,
      );
    }
    loopCap = maxLoopIterations;
  }
  const sizes =
    analysis.program.checks.length > 0 ? { program: analysis.program, opset: defaultOpset(model) } : undefined;
  return { ...(sizes ? { sizes } : {}), ...(loopCap ? { loopCap } : {}) };
}

function checkWeights(model: OnnxModelInfo, limits: UploadLimits): void {
  let bytes = 0;
  const visit = (graph: OnnxGraph) => {
    for (const tensor of graph.initializers) {
      if (tensor.external)
        throw new AppError(
          "invalid_model",
          `tensor '${tensor.name}' is stored outside the .onnx file (external data); upload one self-contained file`,
        );
      bytes += tensor.byteLength;
    }
    for (const node of graph.nodes) {
      for (const attribute of node.attributes.values()) {
        if (attribute.t) bytes += attribute.t.byteLength;
        for (const body of attribute.graphs) visit(body);
      }
    }
  };
  visit(model.graph);
  const allowed = limits.budgetBytes / 2;
  if (bytes > allowed)
    throw new AppError(
      "invalid_model",
      `the model's weights take ${mib(bytes)} MiB; a session needs them twice while it is created, and this server's WASM budget is ${mib(limits.budgetBytes)} MiB (at most ${mib(allowed)} MiB of weights)`,
    );
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}
