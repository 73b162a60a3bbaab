/**
 * `feature-extraction`: text → one embedding vector per text (docs/architecture.md, "Tasks"), for BERT-style encoders
 * exported from Hugging Face (inputs `input_ids`, `attention_mask`, optionally `token_type_ids`; output
 * `last_hidden_state`, or a pooled output such as `sentence_embedding`) with a `tokenizer.json` asset.
 * Texts are tokenized (truncated to the model's maximum length, with a `Warning` saying so), run in batches of at
 * most `limits.maxBatch` texts of similar length per session call (./batching.ts), each padded to its longest, then pooled (mean over the attention
 * mask, the [CLS] token, or the model's pooled output) and L2-normalized. The answer has the Workers AI shape
 * (`{shape, data, pooling}`); `POST /v1/embeddings` reuses the same stages with its own answer.
 *
 * Manifest configuration (all optional):
 * `preprocess: {tokenizer: "tokenizer.json", maxLength: 512, inputs: {ids, mask?, tokenTypes?}}` (input names default
 * to the standard ones the model declares; `maxLength` to the tokenizer's `truncation.max_length`),
 * `postprocess: {pooling: "mean" | "cls" | "pooled", normalize: true, output: "last_hidden_state", pooledOutput?}`.
 */
import { z } from "zod";
import { AppError } from "../errors";
import type { Tensor } from "../runtime/tensor";
import { inLengthBatches } from "./batching";
import { taskConfig } from "./config";
import { float32ToJson } from "./float-json";
import { checkItemCount } from "./request-checks";
import type { TaskContext, TaskDefinition } from "./task";
import { type EncodedText, HfTokenizer, type PaddingSettings, padBatch } from "./text/hf-tokenizer";
import { clsPool, l2Normalize, meanPool, type TokenStates } from "./text/pooling";
import { textList, textsSchema } from "./text/texts";

export const POOLINGS = ["mean", "cls", "pooled"] as const;
export type Pooling = (typeof POOLINGS)[number];

export const FeatureExtractionRequestSchema = z
  .object({
    text: textsSchema("text").meta({ description: "one text, or several embedded in one call" }),
    pooling: z.enum(POOLINGS).optional().meta({
      description:
        "`mean` over the tokens, the first (`cls`) token, or the model's own `pooled` output; default from the manifest",
    }),
    normalize: z
      .boolean()
      .optional()
      .meta({ description: "L2-normalize each vector; default from the manifest (usually true)" }),
  })
  .strict()
  .meta({ id: "FeatureExtractionRequest", example: { text: ["a first sentence", "another one"], pooling: "mean" } });

export const FeatureExtractionResponseSchema = z
  .object({
    shape: z.tuple([z.number().int(), z.number().int()]).meta({ description: "[texts, dimensions]" }),
    data: z.array(z.array(z.number())).meta({ description: "one vector per text, in request order (float32 values)" }),
    pooling: z.enum(POOLINGS),
  })
  .meta({ id: "FeatureExtractionResponse" });

export type FeatureExtractionRequest = z.infer<typeof FeatureExtractionRequestSchema>;
export type FeatureExtractionResponse = z.infer<typeof FeatureExtractionResponseSchema>;

const ConfigSchema = z.object({
  preprocess: z
    .object({
      tokenizer: z.string().min(1).default("tokenizer.json"),
      maxLength: z.number().int().min(2).optional(),
      inputs: z
        .object({ ids: z.string(), mask: z.string().optional(), tokenTypes: z.string().optional() })
        .strict()
        .optional(),
    })
    .strict(),
  postprocess: z
    .object({
      pooling: z.enum(POOLINGS).default("mean"),
      normalize: z.boolean().default(true),
      output: z.string().default("last_hidden_state"),
      pooledOutput: z.string().optional(),
    })
    .strict()
    .refine((p) => p.pooling !== "pooled" || p.pooledOutput !== undefined, {
      message: "pooling 'pooled' needs 'pooledOutput', the output holding the pooled vectors",
      path: ["pooledOutput"],
    }),
});
type FeatureExtractionConfig = z.infer<typeof ConfigSchema>;

/** Options a route may set; the manifest's defaults fill the rest. */
export interface EmbeddingOptions {
  pooling?: Pooling;
  normalize?: boolean;
  /** How the route names input `index` in error messages (default `text {index}`). */
  inputName?: (index: number) => string;
  /** The request field error messages are about (OpenAI's `param`). */
  field?: string;
}

/** A text, or the token ids of one (OpenAI's embeddings API takes either). */
export type TextInput = string | readonly number[];

/** Texts tokenized and the plan for running them. */
export interface PreparedTexts {
  encoded: EncodedText[];
  padding: PaddingSettings;
  pooling: Pooling;
  normalize: boolean;
  /** Model input name per tokenizer tensor. */
  feeds: { ids: string; mask?: string; tokenTypes?: string };
  /** The output read: token states, or the pooled vectors when `pooling` is `pooled`. */
  output: string;
}

/**
 * One text's vector, pooled (and normalized) as soon as its session call returns: a request then holds one vector
 * per text, never every call's token states (2,048 texts of 512 tokens at 384 dimensions would be 1.6 GB).
 */
export type TextOutput = Float32Array;

export interface Embeddings {
  vectors: Float32Array[];
  /** Tokens each text was run with, special tokens included, after truncation. */
  tokenCounts: number[];
  pooling: Pooling;
}

const STANDARD_INPUTS = { ids: "input_ids", mask: "attention_mask", tokenTypes: "token_type_ids" } as const;

/**
 * Tokenizes `texts` for the context's model: texts are truncated to its maximum length (with a warning), token ids
 * are checked against its vocabulary and maximum length (400 naming the input). Throws `batch_too_large` (413)
 * beyond `limits.maxItems`.
 */
export async function prepareTexts(
  texts: readonly TextInput[],
  options: EmbeddingOptions,
  context: TaskContext,
): Promise<PreparedTexts> {
  checkItemCount(texts.length, "texts", context, options.field);
  const config = taskConfig(featureExtraction, context.model.manifest);
  const pooling = options.pooling ?? config.postprocess.pooling;
  const output = pooling === "pooled" ? config.postprocess.pooledOutput : config.postprocess.output;
  const outputs = context.model.entry.outputs.map((spec) => spec.name);
  if (output === undefined || !outputs.includes(output)) {
    const what = pooling === "pooled" ? "pooled output" : `token-state output '${output}'`;
    // the caller asked for a pooling this model cannot do (400), or the manifest's default does not fit its model (422)
    const code = options.pooling ? "invalid_request" : "invalid_manifest";
    throw new AppError(
      code,
      `model '${context.model.name}' has no ${what}, so it cannot pool with '${pooling}'; its outputs are ${outputs.join(", ")}`,
    );
  }

  const tokenizer = await context.model.asset(config.preprocess.tokenizer, HfTokenizer.parse);
  const maxLength = config.preprocess.maxLength ?? tokenizer.maxLength;
  if (maxLength === undefined)
    throw new AppError(
      "invalid_manifest",
      `model '${context.model.name}' sets no maximum length (preprocess.maxLength or the tokenizer's truncation.max_length)`,
    );
  const encoded = texts.map((text, index) =>
    typeof text === "string"
      ? tokenizer.encode(text, maxLength)
      : encodeTokenIds(text, index, tokenizer, maxLength, options, context.model.name),
  );
  const cut = encoded.flatMap((item, index) => (item.truncated ? [index] : []));
  if (cut.length > 0)
    context.warn(
      `${cut.length === 1 ? "text" : "texts"} ${cut.join(", ")} truncated to the model's maximum of ${maxLength} tokens`,
    );

  return {
    encoded,
    padding: tokenizer.padding,
    pooling,
    normalize: options.normalize ?? config.postprocess.normalize,
    feeds: modelInputs(config, context),
    output,
  };
}

/** Caller-given token ids, refused (400) when the model does not have one of them or they are too many. */
function encodeTokenIds(
  ids: readonly number[],
  index: number,
  tokenizer: HfTokenizer,
  maxLength: number,
  options: EmbeddingOptions,
  model: string,
): EncodedText {
  const name = options.inputName?.(index) ?? `text ${index}`;
  const unknown = tokenizer.unknownIdAt(ids);
  if (unknown >= 0)
    throw new AppError(
      "invalid_request",
      `${name}[${unknown}] is token id ${ids[unknown]}, which is not in the vocabulary of model '${model}' (${tokenizer.vocabularySize} tokens)`,
      { param: options.field },
    );
  const room = maxLength - tokenizer.specialTokenCount;
  if (ids.length > room)
    throw new AppError(
      "invalid_request",
      `${name} has ${ids.length} tokens; model '${model}' takes at most ${room} (${maxLength} with its ${tokenizer.specialTokenCount} special tokens)`,
      { param: options.field },
    );
  return tokenizer.encodeIds(ids);
}

function modelInputs(config: FeatureExtractionConfig, context: TaskContext): PreparedTexts["feeds"] {
  if (config.preprocess.inputs) return config.preprocess.inputs;
  const declared = new Set(context.model.entry.inputs.map((spec) => spec.name));
  if (!declared.has(STANDARD_INPUTS.ids)) {
    throw new AppError(
      "invalid_manifest",
      `model '${context.model.name}' has no input 'input_ids'; name its inputs in preprocess.inputs`,
    );
  }
  return {
    ids: STANDARD_INPUTS.ids,
    mask: declared.has(STANDARD_INPUTS.mask) ? STANDARD_INPUTS.mask : undefined,
    tokenTypes: declared.has(STANDARD_INPUTS.tokenTypes) ? STANDARD_INPUTS.tokenTypes : undefined,
  };
}

/**
 * Runs the texts in session calls of at most `limits.maxBatch` texts of similar length, each padded to its own
 * longest, and pools each call's rows before the next call.
 */
export function runTexts(prepared: PreparedTexts, context: TaskContext): Promise<TextOutput[]> {
  const { encoded } = prepared;
  const { maxBatch, batchCallCost: callCost } = context.limits;
  return inLengthBatches(
    encoded.map((item) => item.ids.length),
    { maxBatch, callCost },
    async (indexes) => {
      const batch = padBatch(
        indexes.map((i) => encoded[i]!),
        prepared.padding,
      );
      const { ids, mask, tokenTypes } = prepared.feeds;
      const feeds: Record<string, Tensor> = { [ids]: batch.input_ids };
      if (mask) feeds[mask] = batch.attention_mask;
      if (tokenTypes) feeds[tokenTypes] = batch.token_type_ids;
      const result = (await context.model.run(feeds, [prepared.output]))[prepared.output];
      if (!result || !(result.data instanceof Float32Array))
        throw new AppError("inference_failed", `output '${prepared.output}' is not FP32`);
      const vectors = rowVectors(result, batch.attention_mask, prepared.pooling);
      return prepared.normalize ? vectors.map(l2Normalize) : vectors;
    },
  );
}

/** One vector per row of a call's output: its pooled row, or its token states pooled (copies, not views). */
function rowVectors(result: Tensor, mask: Tensor, pooling: Pooling): Float32Array[] {
  const data = result.data as Float32Array;
  const [rows = 0, length = 0] = mask.shape;
  if (pooling === "pooled") {
    const dim = result.shape.at(-1) ?? 0;
    if (result.shape.length !== 2 || result.shape[0] !== rows)
      throw new AppError("inference_failed", `the pooled output has shape [${result.shape}], expected [${rows}, dim]`);
    return Array.from({ length: rows }, (_, row) => data.slice(row * dim, (row + 1) * dim));
  }
  if (result.shape.length !== 3 || result.shape[0] !== rows || result.shape[1] !== length) {
    throw new AppError(
      "inference_failed",
      `the token states have shape [${result.shape}], expected [${rows}, ${length}, dim]`,
    );
  }
  const dim = result.shape[2]!;
  const maskData = mask.data as BigInt64Array;
  return Array.from({ length: rows }, (_, row) => {
    const states: TokenStates = {
      states: data.subarray(row * length * dim, (row + 1) * length * dim),
      mask: maskData.subarray(row * length, (row + 1) * length),
      dim,
    };
    return pooling === "cls" ? clsPool(states) : meanPool(states);
  });
}

/** The texts' vectors with the token counts they were computed from. */
export function poolTexts(outputs: readonly TextOutput[], prepared: PreparedTexts): Embeddings {
  return {
    vectors: [...outputs],
    tokenCounts: prepared.encoded.map((item) => item.ids.length),
    pooling: prepared.pooling,
  };
}

export const featureExtraction = {
  name: "feature-extraction",
  summary:
    '`{text: string | string[], pooling?: "mean" | "cls" | "pooled", normalize?}` → `{shape: [n, d], data, pooling}`: one embedding per text.',
  request: FeatureExtractionRequestSchema,
  response: FeatureExtractionResponseSchema,
  config: ConfigSchema,
  units: (request) => textList(request.text).length,
  preprocess: (request, context) => prepareTexts(textList(request.text), request, context),
  infer: runTexts,
  postprocess(outputs, prepared) {
    const { vectors, pooling } = poolTexts(outputs, prepared);
    return { shape: [vectors.length, vectors[0]?.length ?? 0], data: vectors.map(float32ToJson), pooling };
  },
} satisfies TaskDefinition<FeatureExtractionRequest, PreparedTexts, TextOutput[], FeatureExtractionResponse>;
