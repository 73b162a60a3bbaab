/**
 * `POST /tokenize` for the REFERENCE service: encodes texts with Hugging Face's Rust `tokenizers` crate (through
 * the `@anush008/tokenizers` Node binding), an implementation independent of tokenizers.js, which the Worker uses.
 * Body: `{ file | json, texts, maxLength? }` (file: a tokenizer.json path in this checkout; json: its text).
 * `maxLength` replaces the file's truncation (longest-first, right); without it the file's own truncation applies.
 * Padding follows the file, exactly as the crate does for `encode_batch`; each encoding comes back as ids, type ids,
 * mask and tokens.
 */
import { Tokenizer } from "@anush008/tokenizers";
import { ensureGenerated, repoPath } from "../../scripts/lib/bundled-models.ts";

export interface TokenizeRequest {
  file?: string;
  json?: string;
  texts: string[];
  maxLength?: number;
}

export interface ReferenceEncoding {
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  tokens: string[];
}

const tokenizers = new Map<string, Tokenizer>();

export async function tokenize({
  file,
  json,
  texts,
  maxLength,
}: TokenizeRequest): Promise<{ encodings: ReferenceEncoding[] }> {
  const key = file ?? json ?? "";
  let tokenizer = tokenizers.get(key);
  if (!tokenizer) {
    if (file) await ensureGenerated(file);
    tokenizer = file ? Tokenizer.fromFile(repoPath(file)) : Tokenizer.fromString(key);
    tokenizers.set(key, tokenizer);
  }
  if (maxLength !== undefined) tokenizer.setTruncation(maxLength);
  const encodings = await tokenizer.encodeBatch(texts);
  return {
    encodings: encodings.map((e) => ({
      ids: e.getIds(),
      typeIds: e.getTypeIds(),
      attentionMask: e.getAttentionMask(),
      tokens: e.getTokens(),
    })),
  };
}
