/**
 * The fastText tokenizer's asset (`fasttext-dictionary.bin`): exactly what tokenizing for `predict` needs from a
 * fastText model (the words, the char n-gram settings and the prune index), in a binary layout that parses with a
 * few typed-array copies. Written by the model builders (scripts/models/), read once per isolate by
 * ./fasttext-tokenizer.ts. Labels are not needed: every token starting with the label prefix is dropped.
 *
 * Layout (little-endian): "FTD1", then int32 nwords, minn, maxn, bucket, wordNgrams, eosId (-1: no `</s>` word),
 * pruneCount (-1: not pruned), prefixBytes, wordBytes; int32 wordEnds[nwords] (end offset of each word in the word
 * bytes); int32 pruneKeys[pruneCount] (buckets, ascending) and pruneValues[pruneCount] (their rows after the
 * words); then the label prefix's bytes and the words' bytes (UTF-8), back to back.
 */

const MAGIC = "FTD1";
const HEADER_INTS = 9;

export interface FastTextDictionaryData {
  nwords: number;
  minn: number;
  maxn: number;
  bucket: number;
  wordNgrams: number;
  /** Id of the end-of-line word `</s>`, or -1 when the dictionary has none. */
  eosId: number;
  /** fastText's `-label` (`__label__`), as bytes. */
  labelPrefix: Uint8Array;
  /** Word `i` is `wordBytes[wordEnds[i - 1] ?? 0 .. wordEnds[i]]`. */
  wordBytes: Uint8Array;
  wordEnds: Int32Array;
  /** `undefined` when the model was not pruned; otherwise buckets (ascending) and the rows they map to. */
  prune?: { keys: Int32Array; values: Int32Array };
}

export function writeFastTextDictionary(data: FastTextDictionaryData): Uint8Array {
  const pruneCount = data.prune ? data.prune.keys.length : -1;
  const ints = HEADER_INTS + data.nwords + 2 * Math.max(0, pruneCount);
  const out = new Uint8Array(4 + ints * 4 + data.labelPrefix.length + data.wordBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  let at = 4;
  const int = (value: number) => {
    view.setInt32(at, value, true);
    at += 4;
  };
  [
    data.nwords,
    data.minn,
    data.maxn,
    data.bucket,
    data.wordNgrams,
    data.eosId,
    pruneCount,
    data.labelPrefix.length,
    data.wordBytes.length,
  ].forEach(int);
  data.wordEnds.forEach(int);
  if (data.prune) {
    data.prune.keys.forEach(int);
    data.prune.values.forEach(int);
  }
  out.set(data.labelPrefix, at);
  out.set(data.wordBytes, at + data.labelPrefix.length);
  return out;
}

export function readFastTextDictionary(bytes: Uint8Array): FastTextDictionaryData {
  if (bytes.length < 4 + HEADER_INTS * 4 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC)
    throw new Error("not a fastText dictionary (no FTD1 header)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 4;
  const int = () => {
    const value = view.getInt32(at, true);
    at += 4;
    return value;
  };
  const [nwords, minn, maxn, bucket, wordNgrams, eosId, pruneCount, prefixBytes, wordByteCount] = Array.from(
    { length: HEADER_INTS },
    int,
  ) as [number, number, number, number, number, number, number, number, number];
  const expected = 4 + (HEADER_INTS + nwords + 2 * Math.max(0, pruneCount)) * 4 + prefixBytes + wordByteCount;
  if (nwords < 0 || prefixBytes < 0 || wordByteCount < 0 || pruneCount < -1 || bytes.length !== expected) {
    throw new Error(`fastText dictionary of ${bytes.length} bytes; its header describes ${expected}`);
  }
  // one aligned copy of the integer block, then views into it
  const block = new Int32Array(bytes.slice(at, at + (nwords + 2 * Math.max(0, pruneCount)) * 4).buffer);
  at += block.byteLength;
  const wordEnds = block.subarray(0, nwords);
  const prune =
    pruneCount >= 0
      ? { keys: block.subarray(nwords, nwords + pruneCount), values: block.subarray(nwords + pruneCount) }
      : undefined;
  const labelPrefix = bytes.slice(at, at + prefixBytes);
  const wordBytes = bytes.slice(at + prefixBytes, at + prefixBytes + wordByteCount);
  if (nwords > 0 && wordEnds[nwords - 1] !== wordByteCount)
    throw new Error("fastText dictionary: word offsets do not cover the word bytes");
  return { nwords, minn, maxn, bucket, wordNgrams, eosId, labelPrefix, wordBytes, wordEnds, prune };
}
