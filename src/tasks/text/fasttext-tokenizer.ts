/**
 * fastText's tokenization for `predict`, ported byte for byte from dictionary.cc (facebookresearch/fastText), so a
 * text gets the input-matrix rows fastText itself averages:
 * - the text is read as fastText's `predict` reads it (`text + "\n"`, one line through `getLine`): tokens are runs of
 *   bytes between the seven ASCII separators of `readWord` (space, \n, \r, \t, \v, \f, NUL; nothing else counts as
 *   space, not even U+00A0), each "\n" is the word `</s>`, and the line ends at the first `</s>` (a literal `</s>`
 *   in the text ends it too);
 * - tokens starting with the label prefix (`__label__`) are dropped;
 * - a word of the dictionary gives its id, then (unless it is `</s>`) its char n-grams; any other word its char
 *   n-grams only: every run of `minn..maxn` UTF-8 code points of `<word>` (single `<` or `>` excluded), hashed with
 *   FNV-1a over the bytes taken as *signed* chars (`h ^= uint32_t(int8_t(c))`, the hash all released models use),
 *   `nwords + hash % bucket`, remapped through the prune index of a cut-off model (n-grams it dropped are skipped);
 * - with `wordNgrams > 1`, word n-grams of the tokens' hashes follow (`h = h * 116049371 + next`, in uint64).
 *
 * The asset is parsed once per isolate (./fasttext-dictionary.ts). Pure TypeScript, runs in workerd.
 */
import { type FastTextDictionaryData, readFastTextDictionary } from "./fasttext-dictionary";

export interface FastTextEncoding {
  /** Rows of the input matrix, in fastText's order. */
  ids: Int32Array;
  /** Tokens read (words and the closing `</s>`), labels included, as `getLine` counts them. */
  tokens: number;
  /** The text needed more than `maxLength` ids: only its first words (and `</s>`) were kept. */
  truncated: boolean;
}

const EOS = new TextEncoder().encode("</s>");
const NEWLINE = 0x0a;
/** fastText's `readWord` separators: ' ', '\n', '\r', '\t', '\v', '\f', '\0'. */
const SEPARATOR = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09, 0x0b, 0x0c, 0x00]) SEPARATOR[c] = 1;

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

/** fastText's `Dictionary::hash` over `bytes[start, end)`: FNV-1a with each byte sign-extended first. */
export function fastTextHash(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul((h ^ ((bytes[i]! << 24) >> 24)) >>> 0, FNV_PRIME) >>> 0;
  return h;
}

/** A token: `[start, end)` of the line's bytes, or `</s>`. */
type Token = { bytes: Uint8Array; start: number; end: number };

export class FastTextTokenizer {
  private readonly data: FastTextDictionaryData;
  /** FNV hash of a word → its id; ids sharing a hash are chained through `nextWithHash`. */
  private readonly wordsByHash = new Map<number, number>();
  private readonly nextWithHash: Int32Array;
  /** A word's ids (itself and its char n-grams), computed on first use, as `initNgrams` does for all words. */
  private readonly wordIds = new Map<number, Int32Array>();
  /** The prune index as an open-addressing table (bucket → row after the words), for lookups in a few ns. */
  private readonly pruned?: PruneTable;

  constructor(data: FastTextDictionaryData) {
    this.data = data;
    this.nextWithHash = new Int32Array(data.nwords).fill(-1);
    for (let id = data.nwords - 1; id >= 0; id--) {
      const h = fastTextHash(data.wordBytes, this.wordStart(id), data.wordEnds[id]!);
      const first = this.wordsByHash.get(h);
      if (first !== undefined) this.nextWithHash[id] = first;
      this.wordsByHash.set(h, id);
    }
    if (data.prune) this.pruned = new PruneTable(data.prune.keys, data.prune.values);
  }

  /** For `context.model.asset(name, FastTextTokenizer.parse)`. */
  static parse(bytes: Uint8Array): FastTextTokenizer {
    return new FastTextTokenizer(readFastTextDictionary(bytes));
  }

  get wordCount(): number {
    return this.data.nwords;
  }

  /**
   * The ids fastText's `predict` averages for `text`; with `maxLength`, at most that many: the line is cut after as
   * many whole words as fit beside `</s>` (and their word n-grams), which is what fastText gives for that shorter text.
   * @example tokenizer.encode("Bonjour tout le monde").ids // Int32Array [... word and n-gram rows ...]
   */
  encode(text: string, maxLength = Infinity): FastTextEncoding {
    const tokens = this.readLine(new TextEncoder().encode(text));
    // labels count as tokens but add no ids and no word hash
    const hashes = tokens.map((token) =>
      this.isLabel(token) ? undefined : fastTextHash(token.bytes, token.start, token.end),
    );
    const perToken = tokens.map((token, i) => this.tokenIds(token, hashes[i]));
    const full = this.assemble(perToken, hashes, tokens.length);
    if (full.length <= maxLength) return { ids: full, tokens: tokens.length, truncated: false };

    // the last token is always `</s>`: keep it, and the longest run of leading words that fits with it
    const eos = tokens.length - 1;
    const withWords = (kept: number) =>
      this.assemble([...perToken.slice(0, kept), perToken[eos]!], [...hashes.slice(0, kept), hashes[eos]], kept + 1);
    let lo = 0;
    let hi = eos - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (withWords(mid).length <= maxLength) lo = mid;
      else hi = mid - 1;
    }
    const ids = withWords(lo);
    return {
      ids: ids.length <= maxLength ? ids : ids.subarray(0, Math.max(0, maxLength)),
      tokens: lo + 1,
      truncated: true,
    };
  }

  /** The words of the line fastText's `getLine` reads from `bytes + "\n"`, ending with `</s>` (`readWord`). */
  readLine(bytes: Uint8Array): Token[] {
    const tokens: Token[] = [];
    const length = bytes.length + 1; // the "\n" predict appends
    const at = (i: number) => (i < bytes.length ? bytes[i]! : NEWLINE);
    let start = -1;
    for (let i = 0; i < length; i++) {
      const c = at(i);
      if (SEPARATOR[c] === 0) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0) {
        const token = { bytes, start, end: i };
        tokens.push(token);
        start = -1;
        if (this.isEos(token)) return tokens;
      }
      if (c === NEWLINE) {
        tokens.push({ bytes: EOS, start: 0, end: EOS.length });
        return tokens;
      }
    }
    return tokens; // unreachable: the appended "\n" always closes the line
  }

  /** The ids one token adds (`addSubwords`); labels (no hash) add none. */
  private tokenIds(token: Token, hash: number | undefined): Int32Array {
    if (hash === undefined) return new Int32Array(0);
    const id = this.wordId(token, hash);
    if (id < 0) return this.isEos(token) ? new Int32Array(0) : Int32Array.from(this.charNgrams(token));
    let ids = this.wordIds.get(id);
    if (!ids) {
      const ngrams =
        this.data.maxn <= 0 || this.isEos(token)
          ? []
          : this.charNgrams({ bytes: this.data.wordBytes, start: this.wordStart(id), end: this.data.wordEnds[id]! });
      ids = Int32Array.from([id, ...ngrams]);
      this.wordIds.set(id, ids);
    }
    return ids;
  }

  private assemble(
    perToken: readonly Int32Array[],
    hashes: readonly (number | undefined)[],
    count: number,
  ): Int32Array {
    const wordHashes = hashes.slice(0, count).filter((h): h is number => h !== undefined);
    const ngrams = this.wordNgrams(wordHashes);
    const total = perToken.reduce((sum, ids) => sum + ids.length, 0) + ngrams.length;
    const out = new Int32Array(total);
    let at = 0;
    for (const ids of perToken) {
      out.set(ids, at);
      at += ids.length;
    }
    out.set(ngrams, at);
    return out;
  }

  /** `computeSubwords` over `<token>`: every run of minn..maxn code points, except a lone `<` or `>`. */
  private charNgrams(token: Token): number[] {
    const { minn, maxn, bucket } = this.data;
    const ids: number[] = [];
    if (maxn <= 0 || bucket <= 0) return ids;
    // the bytes of "<" + token + ">", without copying the token
    const { bytes, start } = token;
    const length = token.end - start + 2;
    const last = length - 1;
    const at = (k: number) => (k === 0 ? 0x3c : k === last ? 0x3e : bytes[start + k - 1]!);
    for (let i = 0; i < length; i++) {
      if ((at(i) & 0xc0) === 0x80) continue;
      let h = FNV_OFFSET;
      for (let j = i, n = 1; j < length && n <= maxn; n++) {
        do h = Math.imul((h ^ ((at(j++) << 24) >> 24)) >>> 0, FNV_PRIME) >>> 0;
        while (j < length && (at(j) & 0xc0) === 0x80);
        if (n >= minn && !(n === 1 && (i === 0 || j === length))) this.pushBucket(ids, h % bucket);
      }
    }
    return ids;
  }

  /** `addWordNgrams`: hashes are int32 in fastText and widen to uint64 with their sign. */
  private wordNgrams(hashes: readonly number[]): number[] {
    const { wordNgrams: n, bucket } = this.data;
    const ids: number[] = [];
    if (n <= 1 || bucket <= 0) return ids;
    const wide = (h: number) => BigInt.asUintN(64, BigInt(h | 0));
    for (let i = 0; i < hashes.length; i++) {
      let h = wide(hashes[i]!);
      for (let j = i + 1; j < hashes.length && j < i + n; j++) {
        h = BigInt.asUintN(64, h * 116049371n + wide(hashes[j]!));
        this.pushBucket(ids, Number(h % BigInt(bucket)));
      }
    }
    return ids;
  }

  /** `pushHash`: a bucket becomes the row after the words, through the prune index when the model has one. */
  private pushBucket(ids: number[], bucket: number): void {
    if (!this.pruned) {
      ids.push(this.data.nwords + bucket);
      return;
    }
    const row = this.pruned.get(bucket);
    if (row >= 0) ids.push(this.data.nwords + row);
  }

  private wordId(token: Token, hash: number): number {
    let id = this.wordsByHash.get(hash) ?? -1;
    while (id >= 0 && !this.sameBytes(token, id)) id = this.nextWithHash[id]!;
    return id;
  }

  private sameBytes(token: Token, id: number): boolean {
    const start = this.wordStart(id);
    const length = this.data.wordEnds[id]! - start;
    if (length !== token.end - token.start) return false;
    for (let i = 0; i < length; i++) if (this.data.wordBytes[start + i] !== token.bytes[token.start + i]) return false;
    return true;
  }

  private wordStart(id: number): number {
    return id === 0 ? 0 : this.data.wordEnds[id - 1]!;
  }

  private isEos(token: Token): boolean {
    return startsWith(token, EOS) && token.end - token.start === EOS.length;
  }

  private isLabel(token: Token): boolean {
    return this.data.labelPrefix.length > 0 && startsWith(token, this.data.labelPrefix);
  }
}

function startsWith(token: Token, prefix: Uint8Array): boolean {
  if (token.end - token.start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (token.bytes[token.start + i] !== prefix[i]) return false;
  return true;
}

/** Non-negative int32 keys → non-negative values, linear probing in a power-of-two table at most half full. */
class PruneTable {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(keys: Int32Array, values: Int32Array) {
    let bits = 4;
    while (1 << bits < 2 * keys.length) bits++;
    const capacity = 1 << bits;
    this.mask = capacity - 1;
    this.shift = 32 - bits;
    this.keys = new Int32Array(capacity).fill(-1);
    this.values = new Int32Array(capacity);
    keys.forEach((key, i) => {
      let slot = this.slot(key);
      while (this.keys[slot] !== -1) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = values[i]!;
    });
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    for (let slot = this.slot(key); ; slot = (slot + 1) & this.mask) {
      const found = this.keys[slot]!;
      if (found === key) return this.values[slot]!;
      if (found === -1) return -1;
    }
  }

  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift; // Fibonacci hashing: the product's top bits
  }
}
