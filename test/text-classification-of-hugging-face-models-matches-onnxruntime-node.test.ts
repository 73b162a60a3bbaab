/**
 * text-classification with a Hugging Face model (`preprocess.tokenizer` names a tokenizer.json asset): the BERT test
 * fixture uploaded as a 64-class classifier of its `pooler_output`. Scores equal softmax (or sigmoid) of
 * onnxruntime-node's outputs on the Rust tokenizer's ids (1e-5), labels come from the manifest, and configurations
 * that cannot work are refused: at upload (422) or, for labels that do not fit the model, at the first request.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { referenceTokenize, VARIED_TEXTS } from "./support/embedding-reference";
import { float32OfWire, wireMap } from "./support/oip";
import { admin, BUNDLED, call, json, referenceRun, repoFile, uploadModel } from "./support/worker";

const FIXTURE = "bert-fixture";
const MODEL = "bert-classifier";
const VERSION = BUNDLED[FIXTURE]!.versions["1"]!;
const TOKENIZER_FILE = VERSION.assets!["tokenizer.json"]!.file;
const CLASSES = 64;
const LABELS = Array.from({ length: CLASSES }, (_, i) => `class-${i}`);
const MAX_LENGTH = 128;

const manifest = (postprocess: Record<string, unknown>, labels: string[] = LABELS) => ({
  task: "text-classification",
  preprocess: { tokenizer: "tokenizer.json", maxLength: MAX_LENGTH },
  postprocess: { output: "pooler_output", topK: 3, ...postprocess },
  labels,
});

const putManifest = (name: string, body: unknown) =>
  admin(`/admin/models/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
const run = (name: string, body: unknown) =>
  call(`/v1/run/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify(body),
  });

/** softmax or sigmoid of onnxruntime-node's pooler_output on the Rust tokenizer's ids, one row per text. */
async function referenceScores(texts: string[], activation: "softmax" | "sigmoid"): Promise<number[][]> {
  const encodings = await referenceTokenize(TOKENIZER_FILE, texts, MAX_LENGTH);
  const length = encodings[0]!.ids.length;
  const int64 = (values: number[]) => ({
    datatype: "INT64",
    shape: [texts.length, length],
    data: BigInt64Array.from(values, (v) => BigInt(v)),
  });
  const inputs = wireMap([
    { name: "input_ids", ...int64(encodings.flatMap((e) => e.ids)) },
    { name: "attention_mask", ...int64(encodings.flatMap((e) => e.attentionMask)) },
    { name: "token_type_ids", ...int64(encodings.flatMap((e) => e.typeIds)) },
  ]);
  const logits = float32OfWire((await referenceRun({ bundled: FIXTURE }, inputs, ["pooler_output"])).pooler_output!);
  return texts.map((_, row) => {
    const values = Array.from(logits.subarray(row * CLASSES, (row + 1) * CLASSES));
    if (activation === "sigmoid") return values.map((v) => 1 / (1 + Math.exp(-v)));
    const max = Math.max(...values);
    const sum = values.reduce((total, v) => total + Math.exp(v - max), 0);
    return values.map((v) => Math.exp(v - max) / sum);
  });
}

beforeAll(async () => {
  expect((await putManifest(MODEL, manifest({ function: "softmax" }))).ok).toBe(true);
  const asset = await admin(`/admin/models/${MODEL}/assets/tokenizer.json`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: await repoFile(TOKENIZER_FILE),
  });
  expect(asset.ok).toBe(true);
  expect(
    (await uploadModel(MODEL, await repoFile(VERSION.file), { manifest: manifest({ function: "softmax" }) })).status,
  ).toBe(201);
});

describe("a Hugging Face classifier through POST /v1/run", () => {
  for (const activation of ["softmax", "sigmoid"] as const) {
    it(`scores are ${activation} of onnxruntime-node's logits on the Rust tokenizer's ids, labelled from the manifest`, async () => {
      expect((await putManifest(MODEL, manifest({ function: activation }))).ok).toBe(true);
      const response = await run(MODEL, { text: VARIED_TEXTS, top_k: CLASSES });
      expect(response.status).toBe(200);
      expect(response.headers.get("Warning")).toContain(
        `text ${VARIED_TEXTS.length - 1} truncated to the model's maximum of ${MAX_LENGTH} tokens`,
      );
      const answers = await json<{ label: string; score: number }[][]>(response);
      const expected = await referenceScores(VARIED_TEXTS, activation);
      answers.forEach((answer, i) => {
        expect(answer.map((s) => s.label).sort()).toEqual([...LABELS].sort());
        for (const { label, score } of answer)
          expect(Math.abs(score - expected[i]![LABELS.indexOf(label)]!)).toBeLessThanOrEqual(1e-5);
        for (let k = 1; k < answer.length; k++) expect(answer[k]!.score).toBeLessThanOrEqual(answer[k - 1]!.score);
      });
      if (activation === "softmax")
        for (const answer of answers) expect(answer.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 5);
    });
  }

  it("answers the manifest's topK (3) for one text", async () => {
    const answer = await json<{ label: string; score: number }[]>(run(MODEL, { text: VARIED_TEXTS[0] }));
    expect(answer).toHaveLength(3);
    expect(answer.every((s) => LABELS.includes(s.label))).toBe(true);
  });
});

describe("configurations that cannot work", () => {
  it("are refused at upload: an unknown function, a non-integer topK, an unknown key (422)", async () => {
    for (const bad of [
      { ...manifest({ function: "softmax" }), postprocess: { function: "argmax" } },
      { ...manifest({ function: "softmax" }), postprocess: { topK: 2.5 } },
      { ...manifest({ function: "softmax" }), preprocess: { tokenizer: "fasttext", vocabulary: "x" } },
    ]) {
      const response = await putManifest("bert-classifier-bad", bad);
      expect(response.status, JSON.stringify(bad)).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    }
  });

  it("labels that do not match the model's classes are a 422 at the first request", async () => {
    expect((await putManifest(MODEL, manifest({ function: "softmax" }, LABELS.slice(0, 10)))).ok).toBe(true);
    const response = await run(MODEL, { text: "a sentence" });
    expect(response.status).toBe(422);
    expect((await json(response)).error.message).toContain("10 labels for 64 classes");
    expect((await putManifest(MODEL, manifest({ function: "softmax" }))).ok).toBe(true);
  });
});
