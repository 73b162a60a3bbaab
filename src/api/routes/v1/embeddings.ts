/**
 * `POST /v1/embeddings`: OpenAI's embeddings API (`{model, input, encoding_format, dimensions, user}` →
 * `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`) over any feature-extraction
 * model, so the official SDKs work against edge-maas. The stages are the feature-extraction task's own
 * (src/tasks/feature-extraction.ts) with the model's default pooling and normalization; metering, the response
 * cache and timings are the shared task serving of `POST /v1/run`. `base64` is the vectors' little-endian float32
 * bytes, as OpenAI sends them (its SDK asks for base64 by default); `usage.prompt_tokens` counts the tokens the
 * model ran on, special tokens included, after truncation. `input` may also be token ids (`number[]`, or
 * `number[][]` for several), as LangChain and others send: ids of the model's own vocabulary, framed with its special
 * tokens like a text's. Up to MAX_EMBEDDING_INPUTS inputs (2,048, OpenAI's limit) per request, run in session calls
 * grouped by length. `user` is accepted and ignored: never logged, never part of the cache key.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../../errors";
import {
  type Embeddings,
  featureExtraction,
  type PreparedTexts,
  poolTexts,
  prepareTexts,
  runTexts,
} from "../../../tasks/feature-extraction";
import { float32ToJson } from "../../../tasks/float-json";
import type { TaskDefinition } from "../../../tasks/task";
import type { AppEnv } from "../../context";
import { openAiErrorResponses } from "../../protocol/error-schemas";
import { embeddingInput, inputList } from "../../protocol/openai-input";
import { jsonBody, jsonResponse, mountWithOwnBody } from "../../protocol/openapi";
import { resolveModel } from "../../serving/model-access";
import { readAhead } from "../../serving/read-ahead";
import { readTaskRequest } from "../../serving/task-request";
import { parseModelReference, serveTask } from "../../serving/task-serving";

export const EmbeddingsRequestSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .meta({ description: "a feature-extraction model: `name` or `name@version`", example: "bert-fixture" }),
    input: embeddingInput.meta({
      description:
        "a text, an array of texts, token ids of one text (`number[]`, ids of the model's vocabulary), or an array of them",
    }),
    encoding_format: z
      .enum(["float", "base64"])
      .default("float")
      .meta({ description: "`base64`: little-endian float32 bytes of each vector" }),
    dimensions: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "must equal the model's dimension when given (vectors are not shortened)" }),
    user: z.string().optional().meta({ description: "accepted for compatibility; ignored and never logged" }),
  })
  .meta({
    id: "EmbeddingsRequest",
    example: { model: "bert-fixture", input: ["a first sentence", "another one"], encoding_format: "float" },
  });

export const EmbeddingsResponseSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        object: z.literal("embedding"),
        index: z.number().int(),
        embedding: z.union([z.array(z.number()), z.string().meta({ description: "base64 of little-endian float32" })]),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
  })
  .meta({ id: "EmbeddingsResponse" });

type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;
type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>;
type PreparedEmbeddings = PreparedTexts & { request: EmbeddingsRequest };

/** The feature-extraction stages, answering in OpenAI's shape. */
const openAiEmbeddings = {
  name: featureExtraction.name,
  summary: "OpenAI-compatible embeddings",
  request: EmbeddingsRequestSchema,
  response: EmbeddingsResponseSchema,
  units: (request) => inputList(request.input).length,
  preprocess: async (request, context) => {
    const inputs = inputList(request.input);
    // a string or a flat token array is the one input; name inputs as the caller wrote them
    const inputName = (index: number) => (inputs === request.input ? `input[${index}]` : "input");
    return { ...(await prepareTexts(inputs, { inputName, field: "input" }, context)), request };
  },
  infer: runTexts,
  postprocess: (outputs, prepared) => openAiBody(poolTexts(outputs, prepared), prepared.request),
} satisfies TaskDefinition<
  EmbeddingsRequest,
  PreparedEmbeddings,
  Awaited<ReturnType<typeof runTexts>>,
  EmbeddingsResponse
>;

function openAiBody({ vectors, tokenCounts }: Embeddings, request: EmbeddingsRequest): EmbeddingsResponse {
  const dimension = vectors[0]?.length ?? 0;
  if (request.dimensions !== undefined && request.dimensions !== dimension) {
    throw new AppError(
      "invalid_request",
      `model '${request.model}' gives ${dimension}-dimensional embeddings; 'dimensions' must be ${dimension} or absent`,
    );
  }
  const tokens = tokenCounts.reduce((a, b) => a + b, 0);
  return {
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: request.encoding_format === "base64" ? float32Base64(vector) : float32ToJson(vector),
    })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** Base64 of the vector's little-endian float32 bytes (typed arrays are little-endian wherever workerd runs). */
function float32Base64(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function registerEmbeddingsRoute(app: OpenAPIHono<AppEnv>): void {
  const route = createRoute({
    method: "post",
    path: "/v1/embeddings",
    tags: ["Tasks"],
    security: [{ apiKey: [] }],
    summary: "Embeddings, OpenAI-compatible (any feature-extraction model)",
    description:
      "As OpenAI's `POST /v1/embeddings`: the official SDKs work with `baseURL` set to this server's `/v1`. One unit per text; `usage.prompt_tokens` counts the tokens the model ran on (special tokens included). Texts beyond the model's maximum length are truncated, with a `Warning: 299` header. Models of other tasks are refused with 400.",
    request: { body: jsonBody(EmbeddingsRequestSchema) },
    responses: {
      200: jsonResponse(EmbeddingsResponseSchema, "One embedding per input, in order"),
      ...openAiErrorResponses(400, 401, 403, 404, 413, 415, 422, 429, 503),
    },
  });
  mountWithOwnBody(app, route, embeddingsHandler);
}

async function embeddingsHandler(c: Context<AppEnv>): Promise<Response> {
  readAhead(c); // onnxruntime starts while the body and the manifest are read
  const { request } = await readTaskRequest(c, openAiEmbeddings);
  const { name, version } = parseModelReference(request.model);
  const model = await resolveModel(c, name, version);
  if (model.manifest.task !== "feature-extraction") {
    throw new AppError(
      "invalid_request",
      `model '${name}' has task '${model.manifest.task}'; /v1/embeddings serves feature-extraction models`,
      { param: "model" },
    );
  }
  // `user` changes nothing in the answer, so it stays out of the cache key
  const cacheInputs = [new TextEncoder().encode(JSON.stringify({ ...request, user: undefined }))];
  const maxItems = c.get("config").maxEmbeddingInputs;
  return serveTask(c, { model, task: openAiEmbeddings, request, cacheInputs, shape: "openai-embeddings", maxItems });
}
