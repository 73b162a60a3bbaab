/**
 * feature-extraction (`POST /v1/run/{model}` on the BERT test fixture, random weights): tokenization inside workerd
 * (tokenizers.js) gives the same ids as Hugging Face's Rust tokenizers in Node, for accents, punctuation, CJK,
 * unknown words and truncation; the embeddings equal plain mean/CLS pooling and L2 normalization of
 * onnxruntime-node's outputs on the Rust ids (1e-4); requests beyond `maxBatch` run as several session calls of
 * texts grouped by length and give what single calls give; bad input is a 400 or 413.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CALL_COST, lengthGroups } from "../src/tasks/batching";
import { HfTokenizer, padBatch } from "../src/tasks/text/hf-tokenizer";
import { referenceEmbeddings, referenceTokenize, VARIED_TEXTS } from "./support/embedding-reference";
import { admin, BUNDLED, call, expectClose, json, repoFile, seedBundled, uploadModel } from "./support/worker";

const MODEL = "bert-fixture";
const VERSION = BUNDLED[MODEL]!.versions["1"]!;
const TOKENIZER_FILE = VERSION.assets!["tokenizer.json"]!.file;
const MAX_LENGTH = 128;
const TOLERANCE = 1e-4;

const TEXTS = VARIED_TEXTS;

const run = (body: unknown, headers: Record<string, string> = {}) =>
  call(`/v1/run/${MODEL}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  await seedBundled(MODEL);
});

describe("tokenization: tokenizers.js in workerd = Hugging Face's Rust tokenizers", () => {
  for (const maxLength of [MAX_LENGTH, 12]) {
    it(`gives the same ids, token types and truncation for varied texts (max ${maxLength} tokens)`, async () => {
      const tokenizer = HfTokenizer.parse(await repoFile(TOKENIZER_FILE));
      const expected = await referenceTokenize(TOKENIZER_FILE, TEXTS, maxLength);
      const untruncated = await referenceTokenize(TOKENIZER_FILE, TEXTS, 1_000_000);
      const tokenCount = (e: { attentionMask: number[] }) => e.attentionMask.filter((m) => m === 1).length;
      const encoded = TEXTS.map((text) => tokenizer.encode(text, maxLength));
      encoded.forEach((item, i) => {
        const length = tokenCount(expected[i]!);
        expect(item.ids, `text ${i}: ${expected[i]!.tokens.join(" ")}`).toEqual(expected[i]!.ids.slice(0, length));
        expect(item.typeIds).toEqual(expected[i]!.typeIds.slice(0, length));
        expect(item.truncated).toBe(tokenCount(untruncated[i]!) > maxLength);
      });
      expect(encoded.map((e) => e.truncated)).toContain(true);
      expect(encoded.map((e) => e.truncated)).toContain(false);
      expect(expected.flatMap((e) => e.tokens)).toContain("[UNK]");

      const padded = padBatch(encoded, tokenizer.padding);
      expect(padded.input_ids.shape).toEqual([TEXTS.length, expected[0]!.ids.length]);
      expect(Array.from(padded.input_ids.data as BigInt64Array, Number)).toEqual(expected.flatMap((e) => e.ids));
      expect(Array.from(padded.attention_mask.data as BigInt64Array, Number)).toEqual(
        expected.flatMap((e) => e.attentionMask),
      );
      expect(Array.from(padded.token_type_ids.data as BigInt64Array, Number)).toEqual(
        expected.flatMap((e) => e.typeIds),
      );
    });
  }
});

describe("a tokenizer.json that truncates and pads on the left", () => {
  const LEFT_MODEL = "bert-fixture-left";
  const LEFT_MAX_BATCH = 32;
  let leftJson = "";

  beforeAll(async () => {
    const file = JSON.parse(new TextDecoder().decode(await repoFile(TOKENIZER_FILE)));
    file.truncation = { ...file.truncation, direction: "Left", max_length: 24 };
    file.padding = { ...file.padding, direction: "Left" };
    leftJson = JSON.stringify(file);
    const manifest = {
      task: "feature-extraction",
      postprocess: { pooling: "cls" },
      limits: { maxBatch: LEFT_MAX_BATCH, maxItems: 64 },
    };
    expect(
      (
        await admin(`/admin/models/${LEFT_MODEL}`, {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(manifest),
        })
      ).ok,
    ).toBe(true);
    const asset = await admin(`/admin/models/${LEFT_MODEL}/assets/tokenizer.json`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: leftJson,
    });
    expect(asset.ok).toBe(true);
    expect((await uploadModel(LEFT_MODEL, await repoFile(VERSION.file), { manifest })).status).toBe(201);
  });

  it("tokenizes, truncates and pads like the Rust crate", async () => {
    const tokenizer = HfTokenizer.parse(new TextEncoder().encode(leftJson));
    expect(tokenizer.maxLength).toBe(24);
    const expected = await referenceTokenize({ json: leftJson }, TEXTS, undefined);
    const padded = padBatch(
      TEXTS.map((text) => tokenizer.encode(text, 24)),
      tokenizer.padding,
    );
    expect(Array.from(padded.input_ids.data as BigInt64Array, Number)).toEqual(expected.flatMap((e) => e.ids));
    expect(Array.from(padded.attention_mask.data as BigInt64Array, Number)).toEqual(
      expected.flatMap((e) => e.attentionMask),
    );
    expect(expected[0]!.attentionMask[0]).toBe(0);
  });

  // Left padding shifts the real tokens' positions by the padding, so (as in transformers) a text's vector depends on
  // what it is padded with: the reference runs the same length groups the Worker runs.
  it("pools the right tokens: mean over the mask, and the first kept token for cls", async () => {
    const tokenizer = HfTokenizer.parse(new TextEncoder().encode(leftJson));
    const groups = lengthGroups(
      TEXTS.map((text) => tokenizer.encode(text, 24).ids.length),
      { maxBatch: LEFT_MAX_BATCH, callCost: DEFAULT_CALL_COST },
    );
    for (const pooling of ["cls", "mean"] as const) {
      const answer = await json(
        call(`/v1/run/${LEFT_MODEL}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ text: TEXTS, pooling }),
        }),
      );
      const expected: number[][] = [];
      for (const group of groups) {
        const vectors = await referenceEmbeddings(
          MODEL,
          { json: leftJson },
          group.map((i) => TEXTS[i]!),
          { pooling, normalize: true },
        );
        group.forEach((i, k) => (expected[i] = vectors[k]!));
      }
      answer.data.forEach((vector: number[], i: number) => expectClose(vector, expected[i]!, TOLERANCE));
    }
  });
});

describe("long texts: only the start is tokenized, with the same result", () => {
  const HUGE = Array.from({ length: 60 }, (_, i) => `${i} ${VARIED_TEXTS.join(i % 2 ? " " : "\n")}`).join(" ");
  const UNSPACED = "中文字日本語のテキスト".repeat(600);

  it("a 60 kB text and 6,600 CJK characters without spaces give the Rust crate's first tokens", async () => {
    expect(HUGE.length).toBeGreaterThan(50_000);
    const tokenizer = HfTokenizer.parse(await repoFile(TOKENIZER_FILE));
    for (const maxLength of [MAX_LENGTH, 512, 3000]) {
      const expected = await referenceTokenize(TOKENIZER_FILE, [HUGE, UNSPACED], maxLength);
      for (const [i, text] of [HUGE, UNSPACED].entries()) {
        const encoded = tokenizer.encode(text, maxLength);
        expect(encoded.ids).toEqual(expected[i]!.ids.slice(0, encoded.ids.length));
        expect(encoded.ids).toHaveLength(maxLength);
        expect(encoded.truncated).toBe(true);
      }
    }
  });

  it("the same through /v1/run: embeddings of the first 128 tokens", async () => {
    const response = await run({ text: [HUGE, UNSPACED] });
    expect(response.status).toBe(200);
    expect(response.headers.get("Warning")).toContain("texts 0, 1 truncated");
    const expected = await referenceEmbeddings(MODEL, TOKENIZER_FILE, [HUGE, UNSPACED], {
      maxLength: MAX_LENGTH,
      pooling: "mean",
      normalize: true,
    });
    (await json(response)).data.forEach((vector: number[], i: number) => expectClose(vector, expected[i]!, TOLERANCE));
  });
});

describe("embeddings = plain pooling of onnxruntime-node's outputs on the Rust tokenizer's ids", () => {
  for (const [pooling, normalize] of [
    ["mean", true],
    ["cls", true],
    ["mean", false],
    ["pooled", true],
  ] as const) {
    it(`pooling ${pooling}, normalize ${normalize}`, async () => {
      const response = await run({ text: TEXTS, pooling, normalize });
      expect(response.status).toBe(200);
      const answer = await json(response);
      expect(answer.shape).toEqual([TEXTS.length, 64]);
      expect(answer.pooling).toBe(pooling);
      const expected = await referenceEmbeddings(MODEL, TOKENIZER_FILE, TEXTS, {
        maxLength: MAX_LENGTH,
        pooling,
        normalize,
      });
      answer.data.forEach((vector: number[], i: number) => expectClose(vector, expected[i]!, TOLERANCE));
      if (normalize) for (const vector of answer.data as number[][]) expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      expect(response.headers.get("Warning")).toContain(
        `text ${TEXTS.length - 1} truncated to the model's maximum of ${MAX_LENGTH} tokens`,
      );
    });
  }

  it("defaults to the manifest's mean pooling with normalization; a single string is a batch of one", async () => {
    const answer = await json(run({ text: TEXTS[0] }));
    expect(answer.shape).toEqual([1, 64]);
    expect(answer.pooling).toBe("mean");
    const [expected] = await referenceEmbeddings(MODEL, TOKENIZER_FILE, [TEXTS[0]!], {
      maxLength: MAX_LENGTH,
      pooling: "mean",
      normalize: true,
    });
    expectClose(answer.data[0], expected!, TOLERANCE);
  });

  it("says nothing about truncation when no text was cut", async () => {
    const response = await run({ text: TEXTS.slice(0, 3) });
    expect(response.status).toBe(200);
    expect(response.headers.get("Warning")).toBeNull();
  });
});

describe("batches", () => {
  const SPLIT_MODEL = "bert-fixture-batch3";

  beforeAll(async () => {
    const manifest = {
      ...Object.fromEntries(
        (["task", "description", "preprocess", "postprocess"] as const).map((k) => [k, BUNDLED[MODEL]![k]]),
      ),
      limits: { maxBatch: 3, maxItems: 10 },
    };
    expect(
      (
        await admin(`/admin/models/${SPLIT_MODEL}`, {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(manifest),
        })
      ).ok,
    ).toBe(true);
    const asset = await admin(`/admin/models/${SPLIT_MODEL}/assets/tokenizer.json`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: await repoFile(TOKENIZER_FILE),
    });
    expect(asset.ok).toBe(true);
    const version = await admin(`/admin/models/${SPLIT_MODEL}/versions/1`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: await repoFile(VERSION.file),
    });
    expect(version.status).toBe(201);
  });

  it("beyond maxBatch, runs several session calls (texts grouped by length) and answers what single calls answer", async () => {
    const tokenizer = HfTokenizer.parse(await repoFile(TOKENIZER_FILE));
    const groups = lengthGroups(
      TEXTS.map((text) => tokenizer.encode(text, MAX_LENGTH).ids.length),
      { maxBatch: 3, callCost: DEFAULT_CALL_COST },
    );
    expect(groups.length).toBeGreaterThanOrEqual(Math.ceil(TEXTS.length / 3));
    const response = await call(`/v1/run/${SPLIT_MODEL}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
      body: JSON.stringify({ text: TEXTS }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Server-Timing")).toMatch(
      new RegExp(`infer;dur=[\\d.]+;desc="${groups.length} session runs"`),
    );
    const batched = (await json(response)).data as number[][];
    for (const [i, text] of TEXTS.entries()) {
      const single = await json(run({ text }));
      expectClose(batched[i]!, single.data[0], 1e-5);
    }
  });

  it("more texts than maxItems is 413 batch_too_large, before any session call", async () => {
    const response = await call(`/v1/run/${SPLIT_MODEL}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: Array(11).fill("hello") }),
    });
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe("batch_too_large");
    const bundledLimit = await run({ text: Array(129).fill("hello") });
    expect(bundledLimit.status).toBe(413);
  });
});

describe("bad input", () => {
  it("empty or blank texts, no texts, unknown options and fields are 400", async () => {
    for (const body of [
      { text: "" },
      { text: "   \n" },
      { text: [] },
      { text: ["fine", ""] },
      { text: 42 },
      { text: "x", pooling: "max" },
      { texts: ["x"] },
      {},
    ]) {
      const response = await run(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json(response)).error.code).toBe("invalid_request");
    }
  });

  it("a manifest whose feature-extraction configuration does not parse is refused at upload (422)", async () => {
    for (const config of [
      { postprocess: { pooling: "pooled" } },
      { postprocess: { pool: "mean" } },
      { preprocess: { maxLength: "long" } },
    ]) {
      const response = await admin("/admin/models/bert-bad-config", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ task: "feature-extraction", ...config }),
      });
      expect(response.status, JSON.stringify(config)).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    }
  });

  it("a version uploaded without its tokenizer.json answers 422 invalid_manifest", async () => {
    const manifest = { task: "feature-extraction", preprocess: { maxLength: 128 } };
    expect((await uploadModel("bert-no-tokenizer", await repoFile(VERSION.file), { manifest })).status).toBe(201);
    const response = await call("/v1/run/bert-no-tokenizer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({
      code: "invalid_manifest",
      message: expect.stringContaining("tokenizer.json"),
    });
  });

  it("a pooling the model has no output for: 400 when the request asks for it, 422 when the manifest's default does", async () => {
    const asked = await call("/v1/run/bert-no-tokenizer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: "hello", pooling: "pooled" }),
    });
    expect(asked.status).toBe(400);
    expect((await json(asked)).error.message).toContain("has no pooled output");
    const manifest = { task: "feature-extraction", postprocess: { output: "sentence_embedding" } };
    expect((await uploadModel("bert-wrong-output", await repoFile(VERSION.file), { manifest })).status).toBe(201);
    const configured = await call("/v1/run/bert-wrong-output", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(configured.status).toBe(422);
    expect((await json(configured)).error).toMatchObject({
      code: "invalid_manifest",
      message: expect.stringContaining("sentence_embedding"),
    });
  });
});
