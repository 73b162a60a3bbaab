/**
 * Which axis of each input is the batch: what an OIP request is metered by and what `limits.maxBatch` bounds. It
 * comes from the model's signature, never from the order a request lists its inputs in (a silero-vad batch of 64
 * sent as `[sr, input, state]` was once charged 1, the leading dimension of the scalar `sr`).
 *
 * - Read from the graph at upload: the symbolic dimension that leads the most inputs (`batch` in `[batch, 3, H, W]`)
 *   is the batch wherever it appears; a name that also sizes other axes (`n` in `a[batch, n]`, `b[n]`) is a length,
 *   not a batch, when another leads as often. Without names, an input whose leading dimension is dynamic has its
 *   batch there. Inputs with neither (scalars such as silero-vad's `sr`, fixed leading dimensions such as its
 *   `state [2, batch, 128]`) have none and do not decide the batch.
 * - A manifest's `batchAxes` overrides it per input (`{"state": 1}`, or `null` for none).
 * - Inputs that have a batch axis must agree on its size (400 otherwise); a request whose inputs have none is one
 *   item.
 */
import { AppError } from "../errors";
import { own } from "../lookup";
import type { OnnxValueInfo } from "../onnx/reader";
import type { DeclaredTensor, TensorSpec } from "./signature";

/** Input name → the axis of its batch dimension; inputs without one are absent. */
export type BatchAxes = Record<string, number>;
/** What a manifest declares: an axis, or `null` for an input that has no batch dimension. */
export type DeclaredBatchAxes = Record<string, number | null>;

const DYNAMIC = -1;

/** The batch axes the graph declares, for the inputs a session takes (initializers listed as inputs excluded). */
export function inferBatchAxes(graphInputs: readonly OnnxValueInfo[], sessionInputs: readonly string[]): BatchAxes {
  const inputs = graphInputs.filter((input) => sessionInputs.includes(input.name) && (input.dims?.length ?? 0) > 0);
  const leading = new Map<string, number>();
  for (const input of inputs) {
    const name = input.dims![0]!.param;
    if (name) leading.set(name, (leading.get(name) ?? 0) + 1);
  }
  const elsewhere = (name: string) =>
    inputs.reduce((n, input) => n + input.dims!.slice(1).filter((dim) => dim.param === name).length, 0);
  const batch = [...leading.keys()].sort((a, b) => leading.get(b)! - leading.get(a)! || elsewhere(a) - elsewhere(b))[0];
  const axes: BatchAxes = {};
  for (const input of inputs) {
    const dims = input.dims!;
    const axis = batch ? dims.findIndex((dim) => dim.param === batch) : dims[0]!.value === undefined ? 0 : -1;
    if (axis >= 0) axes[input.name] = axis;
  }
  return axes;
}

/**
 * The batch axes a request is held to: the manifest's declarations over those read at upload (or, for versions
 * stored before they were, a dynamic leading dimension).
 */
export function effectiveBatchAxes(
  inputs: readonly TensorSpec[],
  stored: BatchAxes | undefined,
  declared: DeclaredBatchAxes | undefined,
): BatchAxes {
  const axes: BatchAxes = {};
  for (const spec of inputs) {
    const override = own(declared, spec.name);
    const axis =
      override !== undefined
        ? override
        : stored
          ? own(stored, spec.name)
          : spec.shape && spec.shape.length > 0 && spec.shape[0] === DYNAMIC
            ? 0
            : undefined;
    if (axis !== undefined && axis !== null) axes[spec.name] = axis;
  }
  return axes;
}

/**
 * The request's batch size (its metered units): the size every input with a batch axis gives, or 1 when none
 * has one. Inputs that disagree are 400; a batch over `maxBatch` is 413.
 */
export function batchSize(inputs: readonly DeclaredTensor[], axes: BatchAxes, maxBatch?: number): number {
  let batch: { size: number; from: string } | undefined;
  for (const input of inputs) {
    const axis = own(axes, input.name);
    if (axis === undefined) continue;
    const size = input.shape[axis];
    if (size === undefined)
      throw new AppError("tensor_mismatch", `input '${input.name}' has no axis ${axis}, where its batch dimension is`);
    if (batch && size !== batch.size)
      throw new AppError(
        "tensor_mismatch",
        `inputs disagree on the batch size: ${batch.from}, but input '${input.name}' has ${size} (axis ${axis}); every input with a batch dimension must have the same`,
      );
    batch ??= { size, from: `input '${input.name}' has ${size} (axis ${axis})` };
  }
  if (batch && maxBatch !== undefined && batch.size > maxBatch)
    throw new AppError(
      "batch_too_large",
      `the batch is ${batch.size} (${batch.from}); this model accepts at most ${maxBatch}`,
    );
  return Math.max(1, batch?.size ?? 1);
}

/**
 * Checks a manifest's `batchAxes` against a version's inputs (its signature, or the shapes its graph declares, so
 * an upload can be refused before a session is made): each names an input, and a dynamic axis of it.
 */
export function checkDeclaredBatchAxes(
  declared: DeclaredBatchAxes | undefined,
  inputs: readonly Pick<TensorSpec, "name" | "shape">[],
  version: string,
): void {
  for (const [name, axis] of Object.entries(declared ?? {})) {
    const spec = inputs.find((input) => input.name === name);
    const problem = !spec
      ? `names input '${name}', which version '${version}' does not take`
      : axis === null || spec.shape === null
        ? undefined
        : axis >= spec.shape.length
          ? `gives input '${name}' batch axis ${axis}, but it has rank ${spec.shape.length} in version '${version}'`
          : spec.shape[axis] !== DYNAMIC
            ? `gives input '${name}' batch axis ${axis}, which is fixed at ${spec.shape[axis]} in version '${version}'`
            : undefined;
    if (problem) throw new AppError("invalid_manifest", `the manifest's batchAxes ${problem}`);
  }
}

/** The inputs a graph declares, as shapes (-1 for a dynamic dimension, null for an undeclared rank). */
export function graphInputShapes(graphInputs: readonly OnnxValueInfo[], initializers: ReadonlySet<string>) {
  return graphInputs
    .filter((input) => !initializers.has(input.name))
    .map((input) => ({ name: input.name, shape: input.dims?.map((dim) => dim.value ?? DYNAMIC) ?? null }));
}
