/**
 * `POST /v1/embeddings` answers as OpenAI's embeddings API: `float` and `base64` (little-endian float32) carry the
 * same vectors as the feature-extraction task, `usage.prompt_tokens` counts the tokens Hugging Face's Rust
 * tokenizers give, the official `openai` SDK (run inside workerd) gets the vectors back, and models of other
 * tasks, token arrays, wrong `dimensions` and oversized requests get a clear 4xx.
 */
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceEmbeddings, referenceTokenize, VARIED_TEXTS } from "./support/embedding-reference";
import { scaleBy } from "./support/fixtures";
import {
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

  it("refuses models of other tasks (400), unknown models (404), token arrays, empty input and wrong dimensions (400), too many texts (413)", async () => {
    expect((await uploadModel("embeddings-not-fe", scaleBy(2))).status).toBe(201);
    const otherTask = await embeddings({ model: "embeddings-not-fe", input: "hello" });
    expect(otherTask.status).toBe(400);
    expect((await json(otherTask)).error.message).toContain("feature-extraction");
    expect((await embeddings({ model: "no-such-model", input: "hello" })).status).toBe(404);
    for (const body of [
      { model: MODEL, input: [1, 2, 3] },
      { model: MODEL, input: [[1, 2], [3]] },
      { model: MODEL, input: "" },
      { model: MODEL, input: [] },
      { model: MODEL, input: "hello", encoding_format: "int8" },
      { model: MODEL, input: "hello", dimensions: 32 },
      { input: "hello" },
    ]) {
      const response = await embeddings(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json(response)).error.code).toBe("invalid_request");
    }
    const tooMany = await embeddings({ model: MODEL, input: Array(129).fill("hello") });
    expect(tooMany.status).toBe(413);
    expect((await json(tooMany)).error.code).toBe("batch_too_large");
    expect(
      (await call("/v1/embeddings", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "hello" }))
        .status,
    ).toBe(415);
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
    const listing = (await json(call("/v1/models"))).models.find((m: { name: string }) => m.name === MODEL);
    expect(listing).toMatchObject({ task: "feature-extraction", request: { contentTypes: ["application/json"] } });
    expect(Object.keys(listing.request.schema.$defs.FeatureExtractionRequest.properties)).toEqual([
      "text",
      "pooling",
      "normalize",
    ]);
  });
});
