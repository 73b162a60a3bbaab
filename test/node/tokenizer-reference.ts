/**
 * `POST /tokenize` for the REFERENCE service: encodes texts with Hugging Face's Rust `tokenizers` crate (through
 * the `@anush008/tokenizers` Node binding), an implementation independent of tokenizers.js, which the Worker uses.
 * Body: `{ file, texts, maxLength }` (file: a tokenizer.json path in this checkout). Truncation is set to
 * `maxLength` (longest-first, right) and padding to the batch's longest text with the file's padding settings,
 * exactly as the crate does for `encode_batch`; each encoding comes back as ids, type ids, mask and tokens.
 */
import { Tokenizer } from "@anush008/tokenizers";
import { repoPath, ensureGenerated } from "../../scripts/lib/bundled-models.mjs";

export interface TokenizeRequest {
  file: string;
  texts: string[];
  maxLength: number;
}

export interface ReferenceEncoding {
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  tokens: string[];
}

const tokenizers = new Map<string, Tokenizer>();

export async function tokenize({ file, texts, maxLength }: TokenizeRequest): Promise<{ encodings: ReferenceEncoding[] }> {
  let tokenizer = tokenizers.get(file);
  if (!tokenizer) {
    await ensureGenerated(file);
    tokenizer = Tokenizer.fromFile(repoPath(file));
    tokenizers.set(file, tokenizer);
  }
  tokenizer.setTruncation(maxLength);
  const encodings = await tokenizer.encodeBatch(texts);
  return {
    encodings: encodings.map((e) => ({ ids: e.getIds(), typeIds: e.getTypeIds(), attentionMask: e.getAttentionMask(), tokens: e.getTokens() })),
  };
}
