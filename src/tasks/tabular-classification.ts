/**
 * `tabular-classification`: rows of features → the top-k classes of each row, `[{label, score}]`, best first, as
 * text and image classification answer (one list for one row, a list of lists for rows). For scikit-learn
 * classifiers exported by skl2onnx: their ZipMap is removed at upload, so the probability output is a
 * [batch, classes] tensor whose class labels the version recorded (`classLabels`); the manifest's `labels` rename
 * them. Rows are checked as ./tabular/rows.ts says and run in session calls of at most `limits.maxBatch` rows.
 * Units: one per row.
 *
 * Manifest: `preprocess: {features?, outOfRange?}` (./tabular/rows.ts), `postprocess: {output?, function: "none",
 * topK: 5}` (`output` defaults to the output with class labels, else the first FP32 one; `function` to `none`, as
 * scikit-learn's exports output probabilities), `labels?`.
 */
import { z } from "zod";
import { AppError } from "../errors";
import { classify, classRows, type LabelScore, type Scoring } from "./classification-output";
import { taskConfig } from "./config";
import { classificationPostprocess, labelScoresResponse } from "./label-scores-schema";
import { prepareRows, runRows, type TabularInput } from "./tabular/model-input";
import { FeaturesFieldSchema, type Rows, rowCount, TabularPreprocessSchema } from "./tabular/rows";
import type { TaskContext, TaskDefinition } from "./task";

export const TabularClassificationRequestSchema = z
  .object({
    features: FeaturesFieldSchema,
    top_k: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "how many classes to return per row, best first (default from the manifest, usually 5)" }),
  })
  .strict()
  .meta({
    id: "TabularClassificationRequest",
    example: { features: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }], top_k: 2 },
  });

export const TabularClassificationResponseSchema = labelScoresResponse("TabularClassificationResponse", "row");

export type TabularClassificationRequest = z.infer<typeof TabularClassificationRequestSchema>;
export type TabularClassificationResponse = LabelScore[] | LabelScore[][];

const ConfigSchema = z.object({
  preprocess: TabularPreprocessSchema,
  // scikit-learn's exports output probabilities: no activation by default
  postprocess: classificationPostprocess("none", "the output with class labels, else the first FP32 one"),
  labels: z.array(z.string()).optional().meta({ description: "display names of the classes, in column order" }),
});

export interface PreparedRows {
  rows: Rows;
  input: TabularInput;
  output: string;
  scoring: Scoring;
}

export function prepareClassification(request: TabularClassificationRequest, context: TaskContext): PreparedRows {
  const config = taskConfig(tabularClassification, context.model.manifest);
  const output = probabilityOutput(context, config.postprocess.output);
  const { rows, input } = prepareRows(request.features, config.preprocess, context);
  const labels = config.labels ?? context.model.entry.classLabels?.[output];
  const { function: activation, topK } = config.postprocess;
  return { rows, input, output, scoring: { activation, labels, topK: request.top_k ?? topK, list: rows.list } };
}

function probabilityOutput(context: TaskContext, named: string | undefined): string {
  const { name: model, entry } = context.model;
  const outputs = entry.outputs;
  const output =
    named ??
    outputs.find((spec) => entry.classLabels?.[spec.name] && spec.datatype === "FP32")?.name ??
    outputs.find((spec) => spec.datatype === "FP32")?.name;
  if (output === undefined || !outputs.some((spec) => spec.name === output))
    throw new AppError(
      "invalid_manifest",
      `model '${model}' has no ${named ? `output '${named}'` : "FP32 output"}; its outputs are ${outputs.map((spec) => `${spec.name} ${spec.datatype}`).join(", ")}`,
    );
  return output;
}

export function runClassification(prepared: PreparedRows, context: TaskContext): Promise<Float32Array[]> {
  return runRows(prepared.rows, prepared.input, context, [prepared.output], (outputs, count) =>
    classRows(outputs[prepared.output], prepared.output, count),
  );
}

export const tabularClassification = {
  name: "tabular-classification",
  summary:
    "`{features: rows, top_k?}` (rows of numbers in column order, or of named features) → `[{label, score}]`, the top-k classes of each row.",
  request: TabularClassificationRequestSchema,
  response: TabularClassificationResponseSchema,
  config: ConfigSchema,
  units: (request) => rowCount(request.features),
  preprocess: prepareClassification,
  infer: runClassification,
  postprocess: (rows, prepared, context) => classify(rows, prepared.scoring, context.model.name),
} satisfies TaskDefinition<TabularClassificationRequest, PreparedRows, Float32Array[], TabularClassificationResponse>;
