/**
 * The independent side of the feature-extraction tests: token ids from Hugging Face's Rust tokenizers (REFERENCE
 * `/tokenize`), token states from onnxruntime-node (REFERENCE `/run`), and pooling written here as plainly as
 * possible, separately from src/tasks/text/pooling.ts.
 */
import { float32OfWire, wireMap } from "./oip";
import { poolReference, type ReferencePooling } from "./reference-pooling";
import { type BundledName, reference, referenceRun } from "./worker";

const LONG_TEXT = "The food was really good but the service was slow and the waiter forgot our order twice. ".repeat(
  12,
);

/** Accents, punctuation, CJK and Hangul, unknown words and characters, odd whitespace, and one text over 128 tokens (last). */
export const VARIED_TEXTS = [
  "The movie was great, and the acting was superb!",
  "Héllo wörld: crème brûlée, naïve café, Ångström, ÉCOLE.",
  "中文字 日本語のテキスト 한국어",
  "don't stop-believing!!! (1234.56) #hashtags @mentions <html>",
  "xyzzyplugh qwertyuiop supercalifragilisticexpialidocious",
  "Straße ß ﬁ ligature, emoji 😀👍 and Ωmega",
  "tabs\tand\nnewlines\r\n and   spaces\u00a0nbsp\u200bzero-width",
  LONG_TEXT,
];

export interface ReferenceEncoding {
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  tokens: string[];
}

/** A tokenizer.json for the reference: a file of this checkout, or the JSON text itself. */
export type TokenizerSource = string | { json: string };

/**
 * Encodes `texts` as one batch with the Rust tokenizers: padded as the file says, truncated to `maxLength` (right),
 * or as the file's own truncation says when `maxLength` is undefined.
 */
export async function referenceTokenize(
  tokenizer: TokenizerSource,
  texts: string[],
  maxLength: number | undefined,
): Promise<ReferenceEncoding[]> {
  const source = typeof tokenizer === "string" ? { file: tokenizer } : tokenizer;
  const response = await reference.fetch("http://reference/tokenize", {
    method: "POST",
    body: JSON.stringify({ ...source, texts, maxLength }),
  });
  if (!response.ok) throw new Error(`reference tokenize failed: ${await response.text()}`);
  return ((await response.json()) as { encodings: ReferenceEncoding[] }).encodings;
}

export type { ReferencePooling } from "./reference-pooling";

/** Embeddings of `texts` computed by the references: Rust tokenizer → onnxruntime-node → plain pooling. */
export async function referenceEmbeddings(
  model: BundledName,
  tokenizer: TokenizerSource,
  texts: string[],
  options: { maxLength?: number; pooling: ReferencePooling; normalize: boolean },
): Promise<number[][]> {
  const encodings = await referenceTokenize(tokenizer, texts, options.maxLength);
  const length = encodings[0]!.ids.length;
  const int64 = (pick: (e: ReferenceEncoding) => number[]) => ({
    datatype: "INT64",
    shape: [texts.length, length],
    data: BigInt64Array.from(encodings.flatMap(pick), (v) => BigInt(v)),
  });
  const inputs = wireMap([
    { name: "input_ids", ...int64((e) => e.ids) },
    { name: "attention_mask", ...int64((e) => e.attentionMask) },
    { name: "token_type_ids", ...int64((e) => e.typeIds) },
  ]);
  const output = options.pooling === "pooled" ? "pooler_output" : "last_hidden_state";
  const result = (await referenceRun({ bundled: model }, inputs, [output]))[output]!;
  const values = float32OfWire(result);
  return poolReference(encodings, values, result.shape, options);
}
