/**
 * `POST /v1/embeddings` answers as OpenAI's embeddings API: `float` and `base64` (little-endian float32) carry the
 * same vectors as the feature-extraction task, `usage.prompt_tokens` counts the tokens Hugging Face's Rust
 * tokenizers give, token-id inputs embed exactly like the texts they tokenize, the official `openai` SDK (run inside
 * workerd) gets the vectors back, and models of other tasks, token ids outside the vocabulary, wrong `dimensions`
 * and oversized requests get a clear 4xx in OpenAI's error envelope.
 */
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceEmbeddings, referenceTokenize, VARIED_TEXTS } from "./support/embedding-reference";
import { scaleBy } from "./support/fixtures";
import {
  anonymous,
  BUNDLED,
  call,
  createKey,
  createTenant,
  expectClose,
  fromBase64,
  json,
  seedBundled,
  uploadModel,
} from "./support/worker";

const MODEL = "bert-fixture";
const TOKENIZER_FILE = BUNDLED[MODEL]!.versions["1"]!.assets!["tokenizer.json"]!.file;
const TEXTS = VARIED_TEXTS;

const embeddings = (body: unknown, headers: Record<string, string> = {}) =>
  call("/v1/embeddings", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

function decodeBase64(text: string): number[] {
  const bytes = fromBase64(text);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

beforeAll(async () => {
  await seedBundled(MODEL);
});

describe("POST /v1/embeddings", () => {
  it("float and base64 decode to the same float32 vectors as /v1/run, with OpenAI's envelope and token usage", async () => {
    const floatResponse = await embeddings({ model: MODEL, input: TEXTS, encoding_format: "float" });
    expect(floatResponse.status).toBe(200);
    expect(floatResponse.headers.get("Warning")).toContain(`text ${TEXTS.length - 1} truncated`);
    const asFloat = await json(floatResponse);
    const asBase64 = await json(embeddings({ model: MODEL, input: TEXTS, encoding_format: "base64" }));
    const task = await json(
      call(`/v1/run/${MODEL}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: TEXTS }),
      }),
    );

    expect(asFloat.object).toBe("list");
    expect(asFloat.model).toBe(MODEL);
    expect(asFloat.data.map((d: { object: string; index: number }) => [d.object, d.index])).toEqual(
      TEXTS.map((_, i) => ["embedding", i]),
    );
    for (const [i, item] of (asFloat.data as { embedding: number[] }[]).entries()) {
      expect(item.embedding).toHaveLength(64);
      const fromBase64Vector = decodeBase64(asBase64.data[i].embedding);
      expect(item.embedding.map(Math.fround)).toEqual(fromBase64Vector);
      expect(task.data[i].map(Math.fround)).toEqual(fromBase64Vector);
    }

    const tokens = await referenceTokenize(TOKENIZER_FILE, TEXTS, 128);
    const expectedTokens = tokens.reduce((sum, e) => sum + e.attentionMask.filter((m) => m === 1).length, 0);
    expect(asFloat.usage).toEqual({ prompt_tokens: expectedTokens, total_tokens: expectedTokens });
    expect(asBase64.usage).toEqual(asFloat.usage);
  });

  it("uses the model's default pooling and normalization (mean, L2), checked against onnxruntime-node", async () => {
    const answer = await json(embeddings({ model: `${MODEL}@1`, input: TEXTS[0], dimensions: 64, user: "someone" }));
    expect(answer.model).toBe(`${MODEL}@1`);
    const [expected] = await referenceEmbeddings(MODEL, TOKENIZER_FILE, [TEXTS[0]!], {
      maxLength: 128,
      pooling: "mean",
      normalize: true,
    });
    expectClose(answer.data[0].embedding, expected!, 1e-4);
    expect(answer.usage.prompt_tokens).toBe((await referenceTokenize(TOKENIZER_FILE, [TEXTS[0]!], 128))[0]!.ids.length);
  });

  it("the official openai SDK (base64 by default) gets the same vectors back", async () => {
    const tenant = await createTenant({ name: "openai sdk", limits: { requestsPerMinute: 1000, monthlyUnits: 1000 } });
    const { key } = await createKey(tenant.id);
    const client = new OpenAI({
      apiKey: key,
      baseURL: "http://edge-maas.test/v1",
      fetch: (url, init) => exports.default.fetch(new Request(url, init)),
      maxRetries: 0,
    });
    const result = await client.embeddings.create({ model: MODEL, input: TEXTS.slice(0, 3) });
    const direct = await json(embeddings({ model: MODEL, input: TEXTS.slice(0, 3), encoding_format: "base64" }));
    expect(result.data).toHaveLength(3);
    result.data.forEach((item, i) => expect(item.embedding).toEqual(decodeBase64(direct.data[i].embedding)));
    expect(result.usage.prompt_tokens).toBe(direct.usage.prompt_tokens);

    const refused = await client.embeddings.create({ model: MODEL, input: "" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("token ids (number[] and number[][]) embed exactly as the texts the Rust tokenizers turn into them", async () => {
    const texts = TEXTS.slice(0, 3);
    const encodings = await referenceTokenize(TOKENIZER_FILE, texts, undefined);
    // the texts' own tokens: BERT's template adds [CLS] before and [SEP] after, and the batch is padded
    const ids = encodings.map((e) => {
      const real = e.ids.filter((_, i) => e.attentionMask[i] === 1);
      expect([e.tokens[0], e.tokens[real.length - 1]]).toEqual(["[CLS]", "[SEP]"]);
      return real.slice(1, -1);
    });
    const fromTexts = await json(embeddings({ model: MODEL, input: texts }));
    const fromIds = await json(embeddings({ model: MODEL, input: ids }));
    const fromOne = await json(embeddings({ model: MODEL, input: ids[1] }));
    expect(fromIds.data.map((d: { embedding: number[] }) => d.embedding)).toEqual(
      fromTexts.data.map((d: { embedding: number[] }) => d.embedding),
    );
    expect(fromOne.data[0].embedding).toEqual(fromTexts.data[1].embedding);
    expect(fromIds.usage).toEqual(fromTexts.usage);
    const expected = await referenceEmbeddings(MODEL, TOKENIZER_FILE, texts, {
      maxLength: 128,
      pooling: "mean",
      normalize: true,
    });
    fromIds.data.forEach((d: { embedding: number[] }, i: number) => expectClose(d.embedding, expected[i]!, 1e-4));
  });

  it("takes up to MAX_EMBEDDING_INPUTS (2,048) inputs, where /v1/run keeps MAX_TASK_ITEMS (128)", async () => {
    const many = Array.from({ length: 300 }, (_, i) => `text number ${i}`);
    const answer = await json(embeddings({ model: MODEL, input: many }));
    expect(answer.data).toHaveLength(300);
    const alone = await json(embeddings({ model: MODEL, input: many[299] }));
    expectClose(answer.data[299].embedding, alone.data[0].embedding, 1e-5);
    const tooMany = await embeddings({ model: MODEL, input: Array(2049).fill("hello") });
    expect(tooMany.status).toBe(413);
    expect(tooMany.headers.get("X-Error-Code")).toBe("batch_too_large");
    const run = await call(`/v1/run/${MODEL}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: many.slice(0, 129) }),
    });
    expect(run.status).toBe(413);
  });

  it("refuses in OpenAI's error envelope: other tasks, unknown models, bad token ids, empty input, wrong dimensions, too many inputs", async () => {
    expect((await uploadModel("embeddings-not-fe", scaleBy(2))).status).toBe(201);
    const otherTask = await embeddings({ model: "embeddings-not-fe", input: "hello" });
    expect(otherTask.status).toBe(400);
    expect((await json(otherTask)).error).toMatchObject({ type: "invalid_request_error", param: "model" });
    const unknown = await embeddings({ model: "no-such-model", input: "hello" });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("X-Error-Code")).toBe("model_not_found");
    expect(await json(unknown)).toEqual({
      error: {
        message: "model 'no-such-model' does not exist",
        type: "invalid_request_error",
        param: null,
        code: "model_not_found",
      },
    });
    const cases: [unknown, RegExp][] = [
      [
        [
          [1, 2],
          [3, 999999],
        ],
        /^input\[1\]\[1\] is token id 999999, which is not in the vocabulary/,
      ],
      [[5, 999999], /^input\[1\] is token id 999999/],
      [
        Array(127).fill(5),
        /^input has 127 tokens; model 'bert-fixture' takes at most 126 \(128 with its 2 special tokens\)/,
      ],
      [[[5], Array(200).fill(5)], /^input\[1\] has 200 tokens/],
      [[1, -2], /'input\.1': token ids are not negative/],
      [[[1, 2], []], /'input\.1': a token array must not be empty/],
      [[1.5], /input must be a string, an array of strings/],
      ["", /a text must not be empty/],
      [[], /input must be a string/],
    ];
    for (const [input, message] of cases) {
      const response = await embeddings({ model: MODEL, input });
      expect(response.status, JSON.stringify(input)).toBe(400);
      const { error } = await json(response);
      expect(error, JSON.stringify(input)).toMatchObject({
        type: "invalid_request_error",
        param: "input",
        code: "invalid_request",
      });
      expect(error.message, JSON.stringify(input)).toMatch(message);
    }
    for (const [body, param] of [
      [{ model: MODEL, input: "hello", encoding_format: "int8" }, "encoding_format"],
      [{ model: MODEL, input: "hello", dimensions: 32 }, null],
      [{ input: "hello" }, "model"],
    ] as const) {
      const response = await embeddings(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json(response)).error, JSON.stringify(body)).toMatchObject({ code: "invalid_request", param });
    }
    const unsupported = await call("/v1/embeddings", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "hello",
    });
    expect(unsupported.status).toBe(415);
    expect((await json(unsupported)).error.type).toBe("invalid_request_error");
    const noKey = await anonymous("/v1/embeddings", { method: "POST" });
    expect(noKey.status).toBe(401);
    expect((await noKey.json<{ error: object }>()).error).toMatchObject({
      type: "authentication_error",
      code: "invalid_api_key",
    });
  });

  it("ignores `user`: the same answer and the same cache entry whoever it names", async () => {
    const first = await embeddings({ model: MODEL, input: "cache me once", user: "alice" });
    const second = await embeddings({ model: MODEL, input: "cache me once", user: "bob" });
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(second.headers.get("X-Cache")).toBe("HIT");
    expect(await json(second)).toEqual(await json(first));
  });

  it("is in the OpenAPI document, and GET /v1/models shows the feature-extraction request schema", async () => {
    const document = await json(call("/openapi.json"));
    expect(document.paths["/v1/embeddings"].post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/EmbeddingsRequest",
    });
    expect(Object.keys(document.components.schemas.EmbeddingsRequest.properties)).toEqual([
      "model",
      "input",
      "encoding_format",
      "dimensions",
      "user",
    ]);
    const listing = await json(call(`/v1/models/${MODEL}`));
    expect(listing).toMatchObject({ task: "feature-extraction", schemas: { contentTypes: ["application/json"] } });
    expect(Object.keys(listing.schemas.request.$defs.FeatureExtractionRequest.properties)).toEqual([
      "text",
      "pooling",
      "normalize",
    ]);
  });
});
