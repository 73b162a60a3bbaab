/**
 * `text-classification` (docs/architecture.md, "Tasks"): `{text: string | string[], top_k?}` → the top-k classes
 * `[{label, score}]`, best first (one such list per text for an array), as Workers AI answers.
 *
 * Two kinds of models:
 * - fastText classifiers converted to ONNX (lid-176: scripts/models/lid-176.ts), `preprocess.tokenizer: "fasttext"`:
 *   texts are tokenized as fastText's `predict` does (./text/fasttext-tokenizer.ts, dictionary from the version's
 *   asset), padded with -1 to the longest text of each session call and fed as `ids` INT64 [batch, length]; the
 *   model outputs probabilities (`postprocess.function: "none"`). A text is classified as one line: its line
 *   breaks count as spaces (fastText itself would read only up to the first one).
 * - Hugging Face sequence classifiers (`input_ids`, `attention_mask`, optionally `token_type_ids` → logits) with a
 *   `tokenizer.json` asset (./text/hf-tokenizer.ts); softmax over the logits by default.
 *
 * Texts longer than `preprocess.maxLength` ids are cut (fastText: after whole words) and the response says so in a
 * `Warning` header. Texts run in session calls of at most `limits.maxBatch`; more than `limits.maxItems` is 413.
 * Units: one per text.
 *
 * Manifest: `preprocess: {tokenizer: "fasttext", asset: "fasttext-dictionary.bin", maxLength: 2048, input: "ids"}`
 * or `{tokenizer: "tokenizer.json", maxLength?, inputs?: {ids, mask?, tokenTypes?}}`;
 * `postprocess: {function: "softmax" | "sigmoid" | "none", output?, topK: 5}`; `labels` (one per class).
 */
import { z } from "zod";
import { AppError } from "../errors";
import type { Tensor } from "../runtime/tensor";
import { inLengthBatches } from "./batching";
import { type Activation, classify, classRows, type LabelScore } from "./classification-output";
import { taskConfig } from "./config";
import { classificationPostprocess, DEFAULT_TOP_K } from "./label-scores-schema";
import { checkItemCount, chosenOutput } from "./request-checks";
import type { TaskContext, TaskDefinition } from "./task";
import { FastTextTokenizer } from "./text/fasttext-tokenizer";
import { type EncodedText, HfTokenizer, type PaddingSettings, padBatch } from "./text/hf-tokenizer";
import { textList, textsSchema } from "./text/texts";

export { DEFAULT_TOP_K };
/** Ids one text may give a fastText model unless the manifest says (about 4,000 characters of prose). */
export const DEFAULT_FASTTEXT_MAX_LENGTH = 2048;
/** fastText models take padded rows: any negative id is padding. */
export const FASTTEXT_PAD_ID = -1;

export const TextClassificationRequestSchema = z
  .object({
    text: textsSchema("text").meta({ description: "one text, or several classified in one call" }),
    top_k: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "how many classes to return per text, best first (default from the manifest, usually 5)" }),
  })
  .strict()
  .meta({ id: "TextClassificationRequest", example: { text: ["Bonjour tout le monde", "Guten Morgen"], top_k: 3 } });

const ScoresSchema = z.array(z.object({ label: z.string(), score: z.number() }));

export const TextClassificationResponseSchema = z.union([ScoresSchema, z.array(ScoresSchema)]).meta({
  id: "TextClassificationResponse",
  description: "the top-k classes of the text, best first (one such list per text when several were sent)",
});

export type TextClassificationRequest = z.infer<typeof TextClassificationRequestSchema>;
export type TextClassificationResponse = LabelScore[] | LabelScore[][];

const FastTextPreprocess = z
  .object({
    tokenizer: z.literal("fasttext"),
    asset: z
      .string()
      .min(1)
      .default("fasttext-dictionary.bin")
      .meta({ description: "the version asset holding the fastText dictionary" }),
    maxLength: z.number().int().min(1).default(DEFAULT_FASTTEXT_MAX_LENGTH),
    input: z.string().default("ids"),
  })
  .strict();

const HuggingFacePreprocess = z
  .object({
    tokenizer: z
      .string()
      .min(1)
      .refine((name) => name !== "fasttext")
      .default("tokenizer.json")
      .meta({ description: "the version asset holding the tokenizer.json" }),
    maxLength: z.number().int().min(2).optional(),
    inputs: z
      .object({ ids: z.string(), mask: z.string().optional(), tokenTypes: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

const ConfigSchema = z.object({
  preprocess: z.union([FastTextPreprocess, HuggingFacePreprocess]),
  postprocess: classificationPostprocess("softmax", "the first"),
  labels: z.array(z.string()).optional(),
});

/** The texts' token counts, and the session inputs of the texts at some indexes (one call). */
interface Feeds {
  lengths: number[];
  build: (chunk: readonly number[]) => Record<string, Tensor>;
}

export interface PreparedTexts {
  feeds: Feeds;
  output: string;
  activation: Activation;
  labels?: readonly string[];
  topK: number;
  /** The request sent an array (answer a list of lists). */
  list: boolean;
}

export async function prepareTexts(request: TextClassificationRequest, context: TaskContext): Promise<PreparedTexts> {
  const texts = textList(request.text);
  checkItemCount(texts.length, "texts", context);
  const config = taskConfig(textClassification, context.model.manifest);
  const output = chosenOutput(config.postprocess.output, context);
  const { preprocess } = config;
  const feeds =
    preprocess.tokenizer === "fasttext"
      ? await fastTextFeeds(texts, preprocess as z.infer<typeof FastTextPreprocess>, context)
      : await huggingFaceFeeds(texts, preprocess, context);
  return {
    feeds,
    output,
    activation: config.postprocess.function,
    labels: config.labels,
    topK: request.top_k ?? config.postprocess.topK,
    list: typeof request.text !== "string",
  };
}

function warnTruncated(context: TaskContext, truncated: readonly boolean[], limit: string): void {
  const cut = truncated.flatMap((was, index) => (was ? [index] : []));
  if (cut.length > 0)
    context.warn(
      `${cut.length === 1 ? "text" : "texts"} ${cut.join(", ")} truncated to the model's maximum of ${limit}`,
    );
}

function declaredInput(context: TaskContext, name: string): void {
  const spec = context.model.entry.inputs.find((input) => input.name === name);
  if (!spec)
    throw new AppError(
      "invalid_manifest",
      `model '${context.model.name}' has no input '${name}'; its inputs are ${context.model.entry.inputs.map((input) => input.name).join(", ")}`,
    );
  if (spec.datatype !== "INT64")
    throw new AppError(
      "invalid_manifest",
      `input '${name}' of model '${context.model.name}' is ${spec.datatype}; token ids are INT64`,
    );
}

async function fastTextFeeds(
  texts: readonly string[],
  preprocess: z.infer<typeof FastTextPreprocess>,
  context: TaskContext,
): Promise<Feeds> {
  declaredInput(context, preprocess.input);
  const tokenizer = await context.model.asset(preprocess.asset, FastTextTokenizer.parse);
  // one line per text: fastText's predict would stop at the first line break
  const encoded = texts.map((text) => tokenizer.encode(text.replaceAll("\n", " "), preprocess.maxLength));
  warnTruncated(
    context,
    encoded.map((e) => e.truncated),
    `${preprocess.maxLength} ids (whole words were kept)`,
  );
  const build: Feeds["build"] = (chunk) => {
    const length = Math.max(1, ...chunk.map((i) => encoded[i]!.ids.length));
    const data = new BigInt64Array(chunk.length * length).fill(BigInt(FASTTEXT_PAD_ID));
    chunk.forEach((textIndex, row) =>
      encoded[textIndex]!.ids.forEach((id, i) => (data[row * length + i] = BigInt(id))),
    );
    return { [preprocess.input]: { datatype: "INT64", shape: [chunk.length, length], data } };
  };
  return { lengths: encoded.map((e) => e.ids.length), build };
}

const STANDARD_INPUTS = { ids: "input_ids", mask: "attention_mask", tokenTypes: "token_type_ids" } as const;

async function huggingFaceFeeds(
  texts: readonly string[],
  preprocess: z.infer<typeof HuggingFacePreprocess>,
  context: TaskContext,
): Promise<Feeds> {
  const declared = new Set(context.model.entry.inputs.map((spec) => spec.name));
  const names = preprocess.inputs ?? {
    ids: STANDARD_INPUTS.ids,
    mask: declared.has(STANDARD_INPUTS.mask) ? STANDARD_INPUTS.mask : undefined,
    tokenTypes: declared.has(STANDARD_INPUTS.tokenTypes) ? STANDARD_INPUTS.tokenTypes : undefined,
  };
  for (const name of [names.ids, names.mask, names.tokenTypes]) if (name !== undefined) declaredInput(context, name);
  const tokenizer = await context.model.asset(preprocess.tokenizer, HfTokenizer.parse);
  const maxLength = preprocess.maxLength ?? tokenizer.maxLength;
  if (maxLength === undefined)
    throw new AppError(
      "invalid_manifest",
      `model '${context.model.name}' sets no maximum length (preprocess.maxLength or the tokenizer's truncation.max_length)`,
    );
  const encoded: EncodedText[] = texts.map((text) => tokenizer.encode(text, maxLength));
  warnTruncated(
    context,
    encoded.map((e) => e.truncated),
    `${maxLength} tokens`,
  );
  const padding: PaddingSettings = tokenizer.padding;
  const build: Feeds["build"] = (chunk) => {
    const batch = padBatch(
      chunk.map((i) => encoded[i]!),
      padding,
    );
    const feeds: Record<string, Tensor> = { [names.ids]: batch.input_ids };
    if (names.mask) feeds[names.mask] = batch.attention_mask;
    if (names.tokenTypes) feeds[names.tokenTypes] = batch.token_type_ids;
    return feeds;
  };
  return { lengths: encoded.map((e) => e.ids.length), build };
}

/** Runs the texts in session calls of at most `limits.maxBatch` texts of similar length; one row of class scores per text. */
export function runTexts(prepared: PreparedTexts, context: TaskContext): Promise<Float32Array[]> {
  const { maxBatch, batchCallCost: callCost } = context.limits;
  return inLengthBatches(prepared.feeds.lengths, { maxBatch, callCost }, async (chunk) => {
    const result = (await context.model.run(prepared.feeds.build(chunk), [prepared.output]))[prepared.output];
    return classRows(result, prepared.output, chunk.length);
  });
}

export function scoreTexts(
  rows: readonly Float32Array[],
  prepared: PreparedTexts,
  context: TaskContext,
): TextClassificationResponse {
  return classify(rows, prepared, context.model.name);
}

export const textClassification = {
  name: "text-classification",
  summary:
    "`{text: string | string[], top_k?}` → `[{label, score}]`, the top-k classes (one list per text for an array).",
  request: TextClassificationRequestSchema,
  response: TextClassificationResponseSchema,
  config: ConfigSchema,
  units: (request) => textList(request.text).length,
  preprocess: prepareTexts,
  infer: runTexts,
  postprocess: scoreTexts,
} satisfies TaskDefinition<TextClassificationRequest, PreparedTexts, Float32Array[], TextClassificationResponse>;
