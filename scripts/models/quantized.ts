/**
 * Builds the quantized versions of bundled models (`.generated/quantized/<model>.<mode>.onnx`) with the quantizer
 * (src/quantize/) from their float32 files. Deterministic: same input bytes and options, same output bytes. A model is
 * listed here only once its accuracy delta against float32 was measured through its task (`npm run eval`) and
 * recorded in its manifest (see notes/quantize.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quantizeModel, type QuantizeOptions } from "../../src/quantize/quantize.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export const QUANTIZED: { model: string; source: string; file: string; options: QuantizeOptions }[] = [
  { model: "mnist-digits", source: "models/weights/mnist-digits.onnx", file: "mnist-digits.weight-int8-folded.onnx", options: { mode: "weight-int8-folded" } },
];

export async function build(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const { source, file, options } of QUANTIZED) {
    const { bytes } = quantizeModel(new Uint8Array(readFileSync(join(ROOT, source))), options);
    writeFileSync(join(outDir, file), bytes);
  }
}
