/**
 * The OpenAI SDK and LangChain JS's `OpenAIEmbeddings`, unmodified, against `npm run dev` with only their base URL
 * and key set: LangChain embeds 300 documents in one request and a query, the SDK lists and retrieves models and
 * sends token ids, and both raise their own error classes from our OpenAI error envelope. The vectors are checked
 * against an independent reference: Hugging Face's Rust tokenizers and onnxruntime-node on the same weights, pooled
 * by test/support/reference-pooling.ts.
 */
import { OpenAIEmbeddings } from "@langchain/openai";
import * as ort from "onnxruntime-node";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledManifests, defaultVersion, readRepoFile } from "../../scripts/lib/bundled-models";
import { tokenize } from "../node/tokenizer-reference";
import { poolReference } from "../support/reference-pooling";
import { devServer } from "./dev-server";

const MODEL = "bert-fixture";
const manifest = bundledManifests().find((m) => m.name === MODEL)!;
const version = defaultVersion(manifest);
const MAX_LENGTH = manifest.preprocess!.maxLength as number;
const TOKENIZER = version.assets!["tokenizer.json"]!.file;

const WORDS = ["the", "food", "was", "great", "service", "slow", "movie", "acting", "superb", "not", "good", "bad"];
/** 300 documents of varied lengths (no newlines: LangChain replaces them with spaces before sending). */
const DOCUMENTS = Array.from({ length: 300 }, (_, i) =>
  Array.from({ length: 3 + ((i * 7) % 40) }, (_, w) => WORDS[(i * 31 + w * 17) % WORDS.length]).join(" "),
);

let session: ort.InferenceSession;

/** Embeddings by the references: Rust tokenizers → onnxruntime-node → mean pooling, L2. */
async function referenceEmbeddings(texts: string[]): Promise<number[][]> {
  const { encodings } = await tokenize({ file: TOKENIZER, texts, maxLength: MAX_LENGTH });
  const length = encodings[0]!.ids.length;
  const int64 = (pick: (e: (typeof encodings)[number]) => number[]) =>
    new ort.Tensor("int64", BigInt64Array.from(encodings.flatMap(pick), BigInt), [texts.length, length]);
  const { last_hidden_state: states } = await session.run({
    input_ids: int64((e) => e.ids),
    attention_mask: int64((e) => e.attentionMask),
    token_type_ids: int64((e) => e.typeIds),
  });
  return poolReference(encodings, states!.data as Float32Array, states!.dims, { pooling: "mean", normalize: true });
}

function expectClose(actual: number[], expected: number[], tolerance: number) {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  expect(worst).toBeLessThan(tolerance);
}

const sdk = (apiKey = devServer().apiKey) =>
  new OpenAI({ apiKey, baseURL: `${devServer().baseUrl}/v1`, maxRetries: 0 });

beforeAll(async () => {
  session = await ort.InferenceSession.create(await readRepoFile(version.file), { intraOpNumThreads: 1 });
});

describe("LangChain's OpenAIEmbeddings", () => {
  const embeddings = () =>
    new OpenAIEmbeddings({
      model: MODEL,
      apiKey: devServer().apiKey,
      configuration: { baseURL: `${devServer().baseUrl}/v1` },
      maxRetries: 0,
    });

  it("embedDocuments over 300 texts gives onnxruntime-node's vectors, in order", async () => {
    const vectors = await embeddings().embedDocuments(DOCUMENTS);
    const expected = await referenceEmbeddings(DOCUMENTS);
    expect(vectors).toHaveLength(DOCUMENTS.length);
    vectors.forEach((vector, i) => expectClose(vector, expected[i]!, 1e-4));
  });

  it("embedQuery gives the query's vector", async () => {
    const query = "was the service slow";
    expectClose(await embeddings().embedQuery(query), (await referenceEmbeddings([query]))[0]!, 1e-4);
  });
});

describe("the OpenAI SDK", () => {
  it("models.list() pages through every bundled model as OpenAI model objects, with the task", async () => {
    const listed: OpenAI.Models.Model[] = [];
    for await (const model of sdk().models.list()) listed.push(model);
    for (const bundled of bundledManifests()) {
      const found = listed.find((m) => m.id === bundled.name) as (OpenAI.Models.Model & { task?: string }) | undefined;
      expect(found, bundled.name).toMatchObject({ object: "model", owned_by: "edge-maas", task: bundled.task });
      expect(Number.isInteger(found!.created)).toBe(true);
    }
  });

  it("models.retrieve() gives one model (a version too), and a NotFoundError with model_not_found", async () => {
    const model = (await sdk().models.retrieve(MODEL)) as OpenAI.Models.Model & Record<string, any>;
    expect(model).toMatchObject({ id: MODEL, object: "model", task: "feature-extraction", default: "1", version: "1" });
    expect(model.schemas.request.$defs.FeatureExtractionRequest.required).toEqual(["text"]);
    expect(await sdk().models.retrieve(`${MODEL}@1`)).toMatchObject({ id: `${MODEL}@1`, version: "1" });
    const missing = await sdk()
      .models.retrieve("no-such-model")
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: "model_not_found", type: "invalid_request_error" });
  });

  it("embeddings.create() takes token ids (number[][]) and answers what the texts' own tokens give", async () => {
    const texts = DOCUMENTS.slice(0, 4);
    const { encodings } = await tokenize({ file: TOKENIZER, texts, maxLength: MAX_LENGTH });
    // the texts' own tokens, without the [CLS]/[SEP] the template adds and the batch padding
    const ids = encodings.map((e) => e.ids.filter((_, t) => e.attentionMask[t] === 1).slice(1, -1));
    const fromIds = await sdk().embeddings.create({ model: MODEL, input: ids, encoding_format: "float" });
    const expected = await referenceEmbeddings(texts);
    fromIds.data.forEach((item, i) => expectClose(item.embedding, expected[i]!, 1e-4));
    const bad = await sdk()
      .embeddings.create({ model: MODEL, input: [[5, 999_999]] })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ param: "input", code: "invalid_request" });
    expect((bad as Error).message).toContain("input[0][1] is token id 999999");
  });

  it("a wrong key is an AuthenticationError with OpenAI's invalid_api_key", async () => {
    const refused = await sdk("emk_live_not-a-real-key")
      .embeddings.create({ model: MODEL, input: "hello" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refused).toMatchObject({ status: 401, code: "invalid_api_key" });
  });
});
