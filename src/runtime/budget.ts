/**
 * What one run may cost, decided before it starts: a Worker cannot stop WebAssembly once it runs, and a heap that
 * grows past the isolate's memory takes every request in flight down with it.
 * - Each dynamic dimension of an input may be capped per model (manifest `limits.maxDims`).
 * - Tensors a graph builds from numbers it computes from the request (a shape sent by the caller, a trip count) are
 *   sized from the request itself, by the program the upload's analysis kept (src/onnx/size-analysis.ts).
 * - The run's working memory is estimated from the memory profile measured at upload (./calibration.ts): a fixed
 *   part plus so many bytes per input element, with a margin.
 * A request over any of these is `too_much_compute` (413), naming what to make smaller.
 */
import { AppError } from "../errors";
import { SMALL_TENSOR_ELEMENTS } from "../onnx/reader";
import type { KnownTensor } from "../onnx/shape-values";
import { evaluateProgram, type SizeProgram } from "../onnx/size-analysis";
import { datatypeInfo, elementCount, isNumeric } from "./datatypes";
import type { Tensor } from "./tensor";

/** WASM memory a model was measured to use when its version was uploaded. */
export interface MemoryProfile {
  /** What the session holds once created. */
  sessionBytes: number;
  /** One run's peak working memory: `fixedBytes + bytesPerElement × input elements`; absent when not measured. */
  run?: { fixedBytes: number; bytesPerElement: number };
  /** The calibration runs, as [input elements, peak bytes]. */
  points?: [number, number][];
  /** Why the run's memory was not measured (then a conservative default applies). */
  note?: string;
}

/** The limits one version's runs are held to; absent parts are not checked. */
export interface RunLimits {
  /** Largest size of each axis of each input (`null`: that axis is not limited here). */
  maxDims?: Record<string, (number | null)[]>;
  memory?: MemoryProfile;
  /** Request-time size checks from the upload's analysis, and the default-domain opset they follow. */
  sizes?: { program: SizeProgram; opset: number };
  /** Iterations a `Loop` whose trip count comes from the request may run. */
  maxLoopIterations?: number;
}

/** A tensor as far as the budget needs it: its shape, and its data once decoded. */
export interface BudgetInput {
  name: string;
  shape: readonly number[];
  tensor?: Tensor;
}

export interface RunPlan {
  /** Estimated peak WASM memory of the run. */
  bytes: number;
}

/** What the isolate has for one run: the heap's budget less what the runtime and the session itself hold. */
export interface RunAllowance {
  label: string;
  budgetBytes: number;
  /** The heap when no session is loaded (onnxruntime's own data). */
  baselineBytes: number;
  /** Largest tensor one operator may build from numbers. */
  maxTensorBytes: number;
}

/**
 * Added to a measured line: the heap's page rounding. Small, because the line already overestimates large inputs (it
 * is fitted on small sizes, where fixed costs weigh most: OCR's detector at 576x576 is estimated at 49 MiB, while
 * workerd's heap holds that run and all three OCR models in 70), and 1.25 refused ordinary pages. The heap's ceiling
 * stops an estimate that was low.
 */
export const RUN_MARGIN = 1.05;
/** For versions uploaded without a measured run (their models did not run on the synthetic calibration inputs). */
export const UNMEASURED_RUN = { fixedBytes: 4 * 1024 * 1024, bytesPerElement: 256 };
const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

/** Estimated peak working memory of one run over `elements` input elements. */
export function runBytes(profile: MemoryProfile | undefined, elements: number): number {
  const run = profile?.run ?? UNMEASURED_RUN;
  return Math.ceil(RUN_MARGIN * (run.fixedBytes + run.bytesPerElement * elements));
}

/** Checks every input dimension against `limits.maxDims`. */
export function checkDims(limits: RunLimits | undefined, inputs: readonly BudgetInput[], label: string): void {
  const maxDims = limits?.maxDims;
  if (!maxDims) return;
  for (const input of inputs) {
    const caps = Object.hasOwn(maxDims, input.name) ? maxDims[input.name] : undefined;
    if (!caps) continue;
    input.shape.forEach((size, axis) => {
      const cap = caps[axis];
      if (cap !== null && cap !== undefined && size > cap)
        throw new AppError(
          "too_much_compute",
          `input '${input.name}' has ${size} along axis ${axis} (shape [${input.shape.join(", ")}]); model '${label}' allows at most ${cap} there (limits.maxDims)`,
        );
    });
  }
}

/**
 * Checks a run against its limits and the isolate's allowance, before anything is allocated for it. With decoded
 * tensors, the sizes the graph computes from the request are checked too.
 */
export function planRun(
  limits: RunLimits | undefined,
  inputs: readonly BudgetInput[],
  allowance: RunAllowance,
): RunPlan {
  checkDims(limits, inputs, allowance.label);
  const elements = inputs.reduce((sum, input) => sum + elementCount(input.shape), 0);
  let bytes = runBytes(limits?.memory, elements);
  if (limits?.sizes && inputs.every((input) => input.tensor)) bytes += computedSizes(limits, inputs, allowance);
  const available = allowance.budgetBytes - allowance.baselineBytes - (limits?.memory?.sessionBytes ?? 0);
  if (bytes > available) {
    const shapes = inputs.map((input) => `'${input.name}' [${input.shape.join(", ")}]`).join(", ");
    throw new AppError(
      "too_much_compute",
      `this request needs about ${mib(bytes)} MiB of working memory for inputs ${shapes}; model '${allowance.label}' has at most ${mib(Math.max(available, 0))} MiB per run on this server (its WASM budget is ${mib(allowance.budgetBytes)} MiB); send smaller inputs`,
    );
  }
  return { bytes };
}

/** Bytes of the tensors the graph builds from request values; throws when one is too large or a loop too long. */
function computedSizes(limits: RunLimits, inputs: readonly BudgetInput[], allowance: RunAllowance): number {
  const { program, opset } = limits.sizes!;
  const byName = new Map(inputs.map((input) => [input.name, input]));
  const checked = evaluateProgram(program, opset, {
    dims: (name) => byName.get(name)?.shape.slice(),
    values: (name) => knownValues(byName.get(name)?.tensor),
  });
  let total = 0;
  for (const { check, amount } of checked) {
    const what = `node '${check.node}' (${check.opType})`;
    if (amount === undefined)
      throw new AppError(
        "too_much_compute",
        `${what} takes its size from the request, and this request does not say it in a form that can be checked before the run (an input that sets it has more than ${SMALL_TENSOR_ELEMENTS} elements, or does not fit the graph)`,
      );
    if (check.kind === "loop") {
      const max = limits.maxLoopIterations ?? 0;
      if (amount > max)
        throw new AppError(
          "too_much_compute",
          `${what} would run ${amount} times for this request; model '${allowance.label}' allows at most ${max} (limits.maxLoopIterations)`,
        );
      continue;
    }
    const bytes = amount * check.bytesPerElement;
    if (bytes > allowance.maxTensorBytes)
      throw new AppError(
        "too_much_compute",
        `${what} would make a tensor of ${amount} elements (${mib(bytes)} MiB) from this request; one tensor may take at most ${mib(allowance.maxTensorBytes)} MiB on this server`,
      );
    total += bytes;
  }
  return total;
}

/** A decoded input's values as numbers, when it is small enough to read. */
function knownValues(tensor: Tensor | undefined): KnownTensor | undefined {
  if (!tensor || !isNumeric(tensor.datatype) || tensor.data.length > SMALL_TENSOR_ELEMENTS) return undefined;
  const { onnx } = datatypeInfo(tensor.datatype);
  return { dims: tensor.shape, values: Array.from(tensor.data as ArrayLike<number | bigint>, Number), dataType: onnx };
}
