/**
 * Builds the BERT test fixture (models/bert-fixture.json): a 2-layer BERT encoder with random weights and a
 * WordPiece tokenizer.json over a vocabulary derived from npm `sentiment`'s English test sentences. A fixture for
 * the feature-extraction task and /v1/embeddings: its vectors mean nothing. Deterministic: `npm ci` alone
 * reproduces the same bytes (the manifest pins their sha256).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeOnnxModel } from "../../src/onnx/writer.ts";
import { bertGraph } from "./bert/bert-graph.ts";
import { fixtureSentences, vocabulary, wordPieceTokenizer } from "./bert/wordpiece-tokenizer.ts";

export const MAX_LENGTH = 128;

export async function build(outDir: string): Promise<void> {
  const tokenizer = wordPieceTokenizer(vocabulary(fixtureSentences()), MAX_LENGTH);
  const graph = bertGraph({
    vocabSize: tokenizer.vocabSize,
    hidden: 64,
    layers: 2,
    heads: 4,
    intermediate: 128,
    maxPositions: MAX_LENGTH,
    typeVocabSize: 2,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "tokenizer.json"), `${JSON.stringify(tokenizer.json, null, 2)}\n`);
  writeFileSync(join(outDir, "model.onnx"), writeOnnxModel(graph));
}
