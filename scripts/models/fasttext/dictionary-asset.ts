/**
 * The tokenizer asset of a fastText model (src/tasks/text/fasttext-dictionary.ts): its words, char n-gram settings
 * and prune index, in the order fastText numbers them; and its labels without the `__label__` prefix.
 */
import { writeFastTextDictionary } from "../../../src/tasks/text/fasttext-dictionary.ts";
import type { FastTextModel } from "./ftz-reader.ts";

/** args.cc: `label = "__label__"`; not saved in model files. */
export const LABEL_PREFIX = "__label__";

export function fastTextDictionaryAsset(model: FastTextModel): Uint8Array {
  const { args, dictionary } = model;
  const words = dictionary.entries.slice(0, dictionary.nwords).map((entry) => entry.bytes);
  const wordEnds = new Int32Array(words.length);
  let end = 0;
  words.forEach((word, i) => (wordEnds[i] = end += word.length));
  const wordBytes = new Uint8Array(end);
  words.forEach((word, i) => wordBytes.set(word, wordEnds[i]! - word.length));
  const eosId = words.findIndex((word) => new TextDecoder().decode(word) === "</s>");
  const prune = dictionary.pruneIndex ? [...dictionary.pruneIndex.entries()].sort((a, b) => a[0] - b[0]) : undefined;
  return writeFastTextDictionary({
    nwords: dictionary.nwords,
    minn: args.minn,
    maxn: args.maxn,
    bucket: args.bucket,
    wordNgrams: args.wordNgrams,
    eosId,
    labelPrefix: new TextEncoder().encode(LABEL_PREFIX),
    wordBytes,
    wordEnds,
    prune: prune && {
      keys: Int32Array.from(prune, ([key]) => key),
      values: Int32Array.from(prune, ([, value]) => value),
    },
  });
}

/** The labels in output order, `__label__` stripped (fastText's `getLabel`). */
export function fastTextLabels(model: FastTextModel): string[] {
  return model.dictionary.entries.slice(model.dictionary.nwords).map((entry) => {
    const label = new TextDecoder("utf-8", { fatal: true }).decode(entry.bytes);
    if (!label.startsWith(LABEL_PREFIX)) throw new Error(`label '${label}' lacks the ${LABEL_PREFIX} prefix`);
    return label.slice(LABEL_PREFIX.length);
  });
}
