/**
 * Hugging Face `tokenizer.json` tokenizers for text tasks (docs/architecture.md, "Tasks"), through `@huggingface/tokenizers`
 * (tokenizers.js: pure JS, no WebAssembly, no `eval`). That library normalizes, pre-tokenizes and applies the
 * model (WordPiece, BPE, Unigram) and the post-processor template, but leaves truncation and padding to its
 * caller; this module adds them the way the Rust `tokenizers` crate does: the text's own tokens are cut to
 * `maxLength` minus the template's special tokens (from the end, or from the start when the file's truncation
 * direction is `Left`), then the template is applied; a batch is padded to its longest item with the file's
 * `padding` settings into INT64 tensors.
 *
 * @example
 * const tokenizer = await context.model.asset("tokenizer.json", HfTokenizer.parse);
 * const texts = ["a first text", "another"].map((t) => tokenizer.encode(t, tokenizer.maxLength ?? 512));
 * const { input_ids, attention_mask, token_type_ids } = padBatch(texts, tokenizer.padding);
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { AppError } from "../../errors";
import type { Tensor } from "../../runtime/tensor";

// Long texts (see #leadingTokens): the first prefix tried, how it grows, and the tokens kept clear of the cut.
const MIN_WINDOW_CHARS = 4096;
const WINDOW_CHARS_PER_TOKEN = 8;
const CUT_MARGIN = 16;
/** Where a long text may be cut: whitespace no normalizer drops or joins (unlike some Unicode spaces). */
const ASCII_WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

/** One text after tokenization and truncation, special tokens included. */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
  /** Tokens the text had beyond the limit were dropped. */
  truncated: boolean;
}

interface EncodedIds {
  ids: number[];
  typeIds: number[];
}

export interface PaddingSettings {
  id: number;
  typeId: number;
  left: boolean;
}

/** A batch padded to its longest item: INT64 tensors of shape [batch, length]. */
export interface PaddedBatch {
  input_ids: Tensor;
  attention_mask: Tensor;
  token_type_ids: Tensor;
}

/** The parts of tokenizer.json read here besides what tokenizers.js reads. */
interface TokenizerFile {
  truncation?: { max_length?: number; direction?: string } | null;
  padding?: { pad_id?: number; pad_type_id?: number; pad_token?: string; direction?: string } | null;
  model?: { unk_token?: string };
}

export class HfTokenizer {
  /** The file's `truncation.max_length`, if it sets one. */
  readonly maxLength: number | undefined;
  readonly padding: PaddingSettings;
  readonly #tokenizer: Tokenizer;
  readonly #truncateLeft: boolean;
  /** Tokens the template adds around one text ([CLS] … [SEP] for BERT). */
  readonly #specialCount: number;
  readonly #unkId: number | undefined;
  /** What the template puts before and after one text's tokens, for caller-given token ids (learnt on first use). */
  #frame?: { before: EncodedIds; after: EncodedIds; textTypeId: number };

  private constructor(file: TokenizerFile & object) {
    this.#tokenizer = new Tokenizer(file, {});
    this.maxLength = file.truncation?.max_length ?? undefined;
    this.#truncateLeft = file.truncation?.direction === "Left";
    // without a padding section, the usual pad tokens (RoBERTa-style models derive positions from the pad id)
    const padId = [file.padding?.pad_token, "[PAD]", "<pad>"]
      .flatMap((token) => (token ? [this.#tokenizer.token_to_id(token)] : []))
      .find((id) => id !== undefined);
    this.padding = {
      id: file.padding?.pad_id ?? padId ?? 0,
      typeId: file.padding?.pad_type_id ?? 0,
      left: file.padding?.direction === "Left",
    };
    this.#unkId = file.model?.unk_token === undefined ? undefined : this.#tokenizer.token_to_id(file.model.unk_token);
    this.#specialCount = this.#template([]).tokens.length;
  }

  /** Tokens the template adds around one text ([CLS] and [SEP] for BERT). */
  get specialTokenCount(): number {
    return this.#specialCount;
  }

  /** The number of ids in the vocabulary, added tokens included. */
  get vocabularySize(): number {
    return this.#tokenizer.get_vocab(true).size;
  }

  /** The position of the first id in `ids` that is not in the vocabulary, or -1. */
  unknownIdAt(ids: readonly number[]): number {
    return ids.findIndex((id) => !Number.isSafeInteger(id) || this.#tokenizer.id_to_token(id) === undefined);
  }

  /**
   * Token ids a caller sends in place of a text (OpenAI's embeddings API takes them): the text's own tokens,
   * framed with the template's special tokens exactly as `encode` frames a text's. The ids are kept as given; check
   * them with `unknownIdAt` and their count against the model's maximum length first.
   */
  encodeIds(ids: readonly number[]): EncodedText {
    this.#frame ??= this.#templateFrame();
    const { before, after, textTypeId } = this.#frame;
    return {
      ids: [...before.ids, ...ids, ...after.ids],
      typeIds: [...before.typeIds, ...ids.map(() => textTypeId), ...after.typeIds],
      truncated: false,
    };
  }

  /** Parses a tokenizer.json file; a file tokenizers.js cannot read is `invalid_manifest` (422). */
  static parse(bytes: Uint8Array): HfTokenizer {
    try {
      return new HfTokenizer(JSON.parse(new TextDecoder().decode(bytes)) as TokenizerFile);
    } catch (error) {
      throw new AppError("invalid_manifest", `the model's tokenizer.json cannot be used: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Tokenizes one text with the template's special tokens, keeping at most `maxLength` tokens in all. */
  encode(text: string, maxLength: number): EncodedText {
    const room = Math.max(0, maxLength - this.#specialCount);
    const tokens = this.#truncateLeft ? this.#tokenize(text) : this.#leadingTokens(text, room);
    const truncated = tokens.length > room;
    const kept = !truncated ? tokens : this.#truncateLeft ? tokens.slice(tokens.length - room) : tokens.slice(0, room);
    const processed = this.#template(kept);
    const ids = processed.tokens.map((token) => this.#id(token));
    return { ids, typeIds: processed.token_type_ids ?? ids.map(() => 0), truncated };
  }

  #tokenize(text: string): string[] {
    return this.#tokenizer.tokenize(text, { add_special_tokens: false });
  }

  /**
   * The text's tokens or, for a long text, enough of its first tokens to fill `room` without tokenizing all of it
   * (1 MB of text costs about 0.4 s of CPU): a prefix cut just before an ASCII whitespace character is tokenized
   * and kept once it gives `CUT_MARGIN` tokens more than `room`. A cut can only change the tokens of the word
   * around it (at most a few pieces across a space for tokenizers that merge words), far behind the ones kept;
   * the tests compare the result with the Rust crate on a 50 kB text.
   */
  #leadingTokens(text: string, room: number): string[] {
    for (let window = Math.max(MIN_WINDOW_CHARS, room * WINDOW_CHARS_PER_TOKEN); window < text.length; window *= 4) {
      let cut = window;
      while (cut > 0 && !ASCII_WHITESPACE.has(text[cut]!)) cut--;
      if (cut === 0) continue;
      const tokens = this.#tokenize(text.slice(0, cut));
      if (tokens.length > room + CUT_MARGIN) return tokens;
    }
    return this.#tokenize(text);
  }

  /** Runs the template on one placeholder token to learn what it puts before and after a text's tokens. */
  #templateFrame(): { before: EncodedIds; after: EncodedIds; textTypeId: number } {
    const placeholder = "\u0000edge-maas-text\u0000";
    const { tokens, token_type_ids } = this.#template([placeholder]);
    const at = tokens.indexOf(placeholder);
    if (at < 0) throw new AppError("invalid_manifest", "the model's tokenizer.json template drops the text's tokens");
    const types = token_type_ids ?? tokens.map(() => 0);
    const part = (from: number, to: number): EncodedIds => ({
      ids: tokens.slice(from, to).map((token) => this.#id(token)),
      typeIds: types.slice(from, to),
    });
    return { before: part(0, at), after: part(at + 1, tokens.length), textTypeId: types[at] ?? 0 };
  }

  #template(tokens: string[]): { tokens: string[]; token_type_ids?: number[] } {
    const processor = this.#tokenizer.post_processor;
    return processor ? processor(tokens, null, true) : { tokens };
  }

  #id(token: string): number {
    const id = this.#tokenizer.token_to_id(token) ?? this.#unkId;
    if (id === undefined)
      throw new AppError(
        "invalid_manifest",
        `the model's tokenizer.json has no id for '${token}' and no unknown token`,
      );
    return id;
  }
}

/** Pads encoded texts to the longest one (attention mask 0 on padding). */
export function padBatch(items: readonly EncodedText[], padding: PaddingSettings): PaddedBatch {
  const length = Math.max(0, ...items.map((item) => item.ids.length));
  const ids = new BigInt64Array(items.length * length).fill(BigInt(padding.id));
  const mask = new BigInt64Array(items.length * length);
  const types = new BigInt64Array(items.length * length).fill(BigInt(padding.typeId));
  items.forEach((item, row) => {
    const start = row * length + (padding.left ? length - item.ids.length : 0);
    item.ids.forEach((id, i) => {
      ids[start + i] = BigInt(id);
      mask[start + i] = 1n;
      types[start + i] = BigInt(item.typeIds[i] ?? 0);
    });
  });
  const shape = [items.length, length];
  return {
    input_ids: { datatype: "INT64", shape, data: ids },
    attention_mask: { datatype: "INT64", shape: [...shape], data: mask },
    token_type_ids: { datatype: "INT64", shape: [...shape], data: types },
  };
}
