/**
 * `tabular-regression`: rows of features → each row's predicted value (a number), or values (an array) for a model
 * with several targets; one row alone gets its value alone, rows get a list. For scikit-learn regressors exported
 * by skl2onnx (`LinearRegressor`, tree ensembles: one FP32 [batch, targets] output). Rows are checked as
 * ./tabular/rows.ts says and run in session calls of at most `limits.maxBatch` rows. Units: one per row.
 *
 * Manifest: `preprocess: {features?, outOfRange?}` (./tabular/rows.ts), `postprocess: {output?}` (default: the
 * first FP32 or FP64 output).
 */
import { z } from "zod";
import { AppError } from "../errors";
import type { Tensor } from "../runtime/tensor";
import { taskConfig } from "./config";
import { prepareRows, runRows, type TabularInput } from "./tabular/model-input";
import { FeaturesFieldSchema, type Rows, rowCount, TabularPreprocessSchema } from "./tabular/rows";
import type { TaskContext, TaskDefinition } from "./task";

export const TabularRegressionRequestSchema = z
  .object({ features: FeaturesFieldSchema })
  .strict()
  .meta({
    id: "TabularRegressionRequest",
    example: { features: [[0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.02, -0.018]] },
  });

const ValueSchema = z.union([z.number(), z.array(z.number())]);

export const TabularRegressionResponseSchema = z.union([ValueSchema, z.array(ValueSchema)]).meta({
  id: "TabularRegressionResponse",
  description:
    "the row's predicted value (an array of values for a model with several targets); one per row, in order, when rows were sent",
});

export type TabularRegressionRequest = z.infer<typeof TabularRegressionRequestSchema>;
type Value = number | number[];
export type TabularRegressionResponse = Value | Value[];

const ConfigSchema = z.object({
  preprocess: TabularPreprocessSchema,
  postprocess: z
    .object({
      output: z
        .string()
        .optional()
        .meta({ description: "the output holding the predictions (default: the first FP32)" }),
    })
    .strict(),
});

export interface PreparedRegression {
  rows: Rows;
  input: TabularInput;
  output: string;
}

export function prepareRegression(request: TabularRegressionRequest, context: TaskContext): PreparedRegression {
  const config = taskConfig(tabularRegression, context.model.manifest);
  const { name: model, entry } = context.model;
  const named = config.postprocess.output;
  const output = named ?? entry.outputs.find((spec) => spec.datatype === "FP32" || spec.datatype === "FP64")?.name;
  if (output === undefined || !entry.outputs.some((spec) => spec.name === output))
    throw new AppError(
      "invalid_manifest",
      `model '${model}' has no ${named ? `output '${named}'` : "FP32 or FP64 output"}; its outputs are ${entry.outputs.map((spec) => `${spec.name} ${spec.datatype}`).join(", ")}`,
    );
  return { ...prepareRows(request.features, config.preprocess, context), output };
}

export function runRegression(prepared: PreparedRegression, context: TaskContext): Promise<Value[]> {
  return runRows(prepared.rows, prepared.input, context, [prepared.output], (outputs, count) =>
    rowValues(outputs[prepared.output], prepared.output, count),
  );
}

/** One value per row of a [batch] or [batch, 1] output; an array per row of a [batch, targets] one. */
function rowValues(result: Tensor | undefined, output: string, count: number): Value[] {
  const data = result?.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || result!.shape[0] !== count)
    throw new AppError(
      "inference_failed",
      `output '${output}' should be FP32 or FP64 [${count}, targets]; got ${result?.datatype} [${result?.shape}]`,
    );
  const targets = data.length / count;
  // float32 values as the shortest decimals that read back as the same float32
  const json = (v: number) => (data instanceof Float32Array ? Number(v.toPrecision(9)) : v);
  return Array.from({ length: count }, (_, row) => {
    const values = Array.from(data.subarray(row * targets, (row + 1) * targets), json);
    return targets === 1 && result!.shape.length <= 2 ? values[0]! : values;
  });
}

export const tabularRegression = {
  name: "tabular-regression",
  summary:
    "`{features: rows}` (rows of numbers in column order, or of named features) → each row's predicted value (or values).",
  request: TabularRegressionRequestSchema,
  response: TabularRegressionResponseSchema,
  config: ConfigSchema,
  units: (request) => rowCount(request.features),
  preprocess: prepareRegression,
  infer: runRegression,
  postprocess: (values, prepared) => (prepared.rows.list ? values : values[0]!),
} satisfies TaskDefinition<TabularRegressionRequest, PreparedRegression, Value[], TabularRegressionResponse>;
