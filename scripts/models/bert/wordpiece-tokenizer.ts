/**
 * A small Hugging Face `tokenizer.json` in the layout of `bert-base-uncased` (BertNormalizer, BertPreTokenizer,
 * WordPiece with [PAD]/[UNK]/[CLS]/[SEP]/[MASK], TemplateProcessing, truncation and padding), with a vocabulary
 * derived deterministically from the English sentences of npm `sentiment`'s test fixtures (Amazon, IMDb and Yelp
 * reviews, 3 × 1,001 sentences). For the BERT test fixture only: the vocabulary is tiny on purpose.
 *
 * The vocabulary: the special tokens; every printable ASCII character, alone and as a `##` continuation, so any
 * ASCII word tokenizes; the most frequent words; the most frequent word endings (`##ing`, `##ed`, ...) of the
 * words left out; and a few CJK characters (BERT splits CJK text into single characters). Other characters
 * (e.g. `ß`, most CJK) are `[UNK]`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
const WORDS = 900;
const SUFFIXES = 200;
const CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年日本語文字";

export interface WordPieceFixture {
  /** The tokenizer.json document. */
  json: Record<string, unknown>;
  vocabSize: number;
}

/** The sentences of `sentiment`'s test fixtures, in file order. */
export function fixtureSentences(): string[] {
  const require = createRequire(import.meta.url);
  return ["amazon", "imdb", "yelp"].flatMap((name) => {
    const path = require.resolve(`sentiment/test/fixtures/${name}.json`);
    return (JSON.parse(readFileSync(path, "utf8")) as { text: string }[]).map((row) => row.text);
  });
}

/** Lowercase, accents stripped, split on anything that is not a letter or digit (close to what BERT does). */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{Mn}/gu, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

function byCountThenName(counts: Map<string, number>): string[] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w]) => w);
}

export function vocabulary(sentences: readonly string[]): string[] {
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocab);
  const add = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  const ascii = Array.from({ length: 126 - 33 + 1 }, (_, i) => String.fromCharCode(33 + i));
  for (const c of ascii) add(c);
  for (const c of ascii) add(`##${c}`);
  for (const c of CJK) add(c);

  const wordCounts = new Map<string, number>();
  for (const sentence of sentences) for (const w of words(sentence)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  const ranked = byCountThenName(wordCounts).filter((w) => w.length > 1);
  const kept = ranked.slice(0, WORDS);
  for (const w of kept) add(w);

  const suffixCounts = new Map<string, number>();
  for (const w of ranked.slice(WORDS)) {
    for (let n = 2; n <= 4 && n < w.length; n++) {
      const suffix = `##${w.slice(-n)}`;
      suffixCounts.set(suffix, (suffixCounts.get(suffix) ?? 0) + (wordCounts.get(w) ?? 0));
    }
  }
  for (const s of byCountThenName(suffixCounts).slice(0, SUFFIXES)) add(s);
  return vocab;
}

/** The tokenizer.json of a BERT uncased WordPiece tokenizer over `vocab`, truncating to `maxLength` tokens. */
export function wordPieceTokenizer(vocab: readonly string[], maxLength: number): WordPieceFixture {
  const id = (token: string) => vocab.indexOf(token);
  const special = (token: string) => ({ id: token, ids: [id(token)], tokens: [token] });
  const json = {
    version: "1.0",
    truncation: { direction: "Right", max_length: maxLength, strategy: "LongestFirst", stride: 0 },
    padding: {
      strategy: "BatchLongest",
      direction: "Right",
      pad_to_multiple_of: null,
      pad_id: id("[PAD]"),
      pad_type_id: 0,
      pad_token: "[PAD]",
    },
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: { "[CLS]": special("[CLS]"), "[SEP]": special("[SEP]") },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
  return { json, vocabSize: vocab.length };
}
