/**
 * How a tabular model takes its rows, read from its signature: one [batch, features] input (skl2onnx from an
 * array), or one [batch, 1] input per feature (skl2onnx from a DataFrame, each column an input named after it).
 * Builds the session inputs of a run of rows and runs a request's rows in session calls of at most
 * `limits.maxBatch` rows (fewer when one call would pass `limits.maxElements`).
 */
import { AppError } from "../../errors";
import type { VersionEntry } from "../../registry/manifest";
import type { Datatype } from "../../runtime/datatypes";
import type { Tensor } from "../../runtime/tensor";
import { inBatches } from "../batching";
import type { TaskContext } from "../task";
import {
  type Feature,
  featuresOf,
  type Rows,
  readRows,
  summarizeWarnings,
  type TabularPreprocess,
  type ValueKind,
} from "./rows";

type TensorSpec = VersionEntry["inputs"][number];

export interface TabularInput {
  /** One input holding every feature, or one input per feature (in column order). */
  layout: "matrix" | "columns";
  inputs: TensorSpec[];
  features: Feature[];
  kind: ValueKind;
  datatype: FeedDatatype;
}

type FeedDatatype = Extract<Datatype, "FP32" | "FP64" | "INT32" | "INT64">;
const KINDS: Record<FeedDatatype, ValueKind> = { FP32: "float32", FP64: "float64", INT32: "int32", INT64: "int64" };

/** The model's inputs and features; a manifest that does not fit the model is 422 `invalid_manifest`. */
export function tabularInput(context: TaskContext, preprocess: TabularPreprocess): TabularInput {
  const { name: model, entry } = context.model;
  const bad = (message: string) => new AppError("invalid_manifest", `model '${model}': ${message}`);
  const inputs = entry.inputs;
  const datatype = inputs[0]?.datatype;
  if (!datatype || !inputs.every((spec) => spec.datatype === datatype) || !(datatype in KINDS))
    throw bad(
      `tabular tasks feed FP32, FP64, INT32 or INT64 inputs, all of one type; its inputs are ${inputs.map((i) => `${i.name} ${i.datatype}`).join(", ")}`,
    );
  const declared = featuresOf(preprocess);
  const kind = KINDS[datatype as FeedDatatype];
  if (inputs.length === 1) {
    const shape = inputs[0]!.shape;
    if (shape && shape.length !== 2) throw bad(`input '${inputs[0]!.name}' must be [batch, features], not [${shape}]`);
    const width = shape && shape[1]! > 0 ? shape[1]! : declared?.length;
    if (width === undefined)
      throw bad(`its input '${inputs[0]!.name}' has a dynamic feature count; list preprocess.features`);
    if (declared && declared.length !== width)
      throw bad(`preprocess.features lists ${declared.length} features, but its input takes ${width}`);
    const features = declared ?? Array.from({ length: width }, () => ({ outOfRange: preprocess.outOfRange }));
    return { layout: "matrix", inputs, features, kind, datatype: datatype as FeedDatatype };
  }
  for (const spec of inputs)
    if (spec.shape && !(spec.shape.length === 1 || (spec.shape.length === 2 && spec.shape[1]! <= 1)))
      throw bad(`with several inputs, each must be one feature, [batch, 1]; '${spec.name}' is [${spec.shape}]`);
  const features = declared ?? inputs.map((spec) => ({ name: spec.name, outOfRange: preprocess.outOfRange }));
  const names = inputs.map((spec) => spec.name);
  if (features.length !== names.length || features.some((f, i) => f.name !== names[i]))
    throw bad(`preprocess.features must name its inputs in order (${names.join(", ")})`);
  return { layout: "columns", inputs, features, kind, datatype: datatype as FeedDatatype };
}

/** Checks the request's rows against the model (400s name row and feature); out-of-range warnings go to `warn`. */
export function prepareRows(
  field: unknown,
  preprocess: TabularPreprocess,
  context: TaskContext,
): { rows: Rows; input: TabularInput } {
  const input = tabularInput(context, preprocess);
  const rows = readRows(field, input.features, input.kind, context.limits.maxItems);
  for (const warning of summarizeWarnings(rows.warnings)) context.warn(warning);
  return { rows, input };
}

/** Runs the rows in session calls; `read` turns one call's outputs into one result per row. */
export function runRows<R>(
  rows: Rows,
  input: TabularInput,
  context: TaskContext,
  outputs: string[],
  read: (outputs: Record<string, Tensor>, count: number) => R[],
): Promise<R[]> {
  const width = input.features.length;
  const { maxBatch, maxElements } = context.limits;
  const batch = Math.min(maxBatch, Math.floor(maxElements / width));
  if (batch < 1)
    throw new AppError("too_many_elements", `one row has ${width} features; the limit is ${maxElements} elements`);
  const indexes = Array.from({ length: rows.count }, (_, i) => i);
  return inBatches(indexes, batch, async (chunk) => {
    const result = await context.model.run(feeds(rows, input, chunk[0]!, chunk.length), outputs);
    return read(result, chunk.length);
  });
}

function feeds(rows: Rows, input: TabularInput, first: number, count: number): Record<string, Tensor> {
  const width = input.features.length;
  const slice = rows.values.subarray(first * width, (first + count) * width);
  if (input.layout === "matrix")
    return {
      [input.inputs[0]!.name]: { datatype: input.datatype, shape: [count, width], data: typed(input.datatype, slice) },
    };
  return Object.fromEntries(
    input.inputs.map((spec, column) => {
      const values = Float64Array.from({ length: count }, (_, r) => slice[r * width + column]!);
      const shape = spec.shape?.length === 1 ? [count] : [count, 1];
      return [spec.name, { datatype: input.datatype, shape, data: typed(input.datatype, values) }];
    }),
  );
}

function typed(datatype: FeedDatatype, values: Float64Array): Tensor["data"] {
  if (datatype === "FP32") return Float32Array.from(values);
  if (datatype === "FP64") return Float64Array.from(values);
  if (datatype === "INT32") return Int32Array.from(values);
  return BigInt64Array.from(values, (v) => BigInt(v));
}
