/**
 * PP-OCR's system (tools/infer/predict_system.py) with the networks left abstract: detect text boxes, put them in
 * reading order, crop each line upright, turn lines the direction classifier finds upside down (and read the page
 * as turned when most are), recognize them in batches of similar width, decode and drop lines scored under
 * `dropScore`. The Worker runs the networks through
 * its session pool (src/tasks/ocr.ts); the Node check (scripts/ocr/evaluate.ts) runs the same code with
 * onnxruntime-node, so only the runtime differs.
 */
import { AppError } from "../../errors";
import type { RgbaImage } from "../../media/image/decode";
import { cropLine, rotateHalfTurn } from "./crop";
import { type Alphabet, ctcDecode } from "./ctc";
import { boxesFromProbabilityMap, type DbSettings } from "./db-postprocess";
import type { DetectorInput } from "./detector-input";
import type { Point, Quad } from "./geometry";
import {
  CLASSIFIER_WIDTH,
  classifierWindows,
  LINE_HEIGHT,
  lineBatch,
  type RecognizerBatching,
  recognizerBatches,
} from "./line-input";
import { readingOrder } from "./reading-order";

export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}

/** The three networks, each one session call on one FP32 input; how they run is the caller's business. */
export interface OcrNetworks {
  /** [1, 3, H, W] → [1, 1, H, W] text probability. */
  detect(input: FloatTensor): Promise<FloatTensor>;
  /** [n, 3, 48, 192] → [n, 2] softmax over 0° and 180°; absent: lines are taken as upright. */
  classify?(input: FloatTensor): Promise<FloatTensor>;
  /** [n, 3, 48, W] → [n, W / 8, classes] softmax. */
  recognize(input: FloatTensor): Promise<FloatTensor>;
}

export interface OcrSettings {
  db: DbSettings;
  /** Windows (192x48 pieces of lines) per classifier call. */
  classifierBatch: number;
  /** A line is turned when the classifier says 180° with more than this probability (`cls_thresh`, 0.9). */
  classifierThreshold: number;
  recognizer: RecognizerBatching;
  /** Lines whose recognition score is below this are dropped (`drop_score`, 0.5). */
  dropScore: number;
}

/** What the networks gave: boxes in reading order and the recognizer's outputs per batch. */
export interface OcrOutputs {
  boxes: Quad[];
  batches: { lines: number[]; output: FloatTensor }[];
}

export interface OcrLine {
  text: string;
  score: number;
  box: Quad;
}

/** Runs the networks on one page (`detection` is `detectorInput(image, maxPixels)`). */
export async function runOcrNetworks(
  image: RgbaImage,
  detection: DetectorInput,
  networks: OcrNetworks,
  settings: OcrSettings,
): Promise<OcrOutputs> {
  const map = await networks.detect({ data: detection.data, shape: [1, 3, detection.height, detection.width] });
  const [, , height, width] = map.shape;
  if (map.shape.length !== 4 || height !== detection.height || width !== detection.width) {
    throw new AppError(
      "inference_failed",
      `the detector's output has shape [${map.shape}], expected [1, 1, ${detection.height}, ${detection.width}]`,
    );
  }
  const found = boxesFromProbabilityMap({ data: map.data, width, height }, image, settings.db).map((text) => text.box);
  let boxes = readingOrder(found).map((i) => found[i]!);
  if (boxes.length === 0) return { boxes, batches: [] };

  let lines = boxes.map((box) => cropLine(image, box));
  if (networks.classify) {
    const upsideDown = await upsideDownLines(lines, networks.classify, settings);
    lines = lines.map((line, i) => (upsideDown[i] ? rotateHalfTurn(line) : line));
    // most lines upside down: the page is, so read it as turned (an addition to PaddleOCR, which keeps the order)
    if (upsideDown.filter(Boolean).length * 2 > lines.length) {
      const order = readingOrder(boxes.map((box) => turnedBox(box, image)));
      [boxes, lines] = [order.map((i) => boxes[i]!), order.map((i) => lines[i]!)];
    }
  }

  const batches: OcrOutputs["batches"] = [];
  for (const batch of recognizerBatches(lines, settings.recognizer)) {
    const data = lineBatch(
      batch.lines.map((i) => lines[i]!),
      batch.width,
    );
    const output = await networks.recognize({ data, shape: [batch.lines.length, 3, LINE_HEIGHT, batch.width] });
    if (output.shape[0] !== batch.lines.length)
      throw new AppError(
        "inference_failed",
        `the recognizer answered ${output.shape[0]} lines for ${batch.lines.length}`,
      );
    batches.push({ lines: batch.lines, output });
  }
  return { boxes, batches };
}

/**
 * Which lines the classifier finds upside down: the mean 180° probability of a line's windows
 * (./line-input.ts `classifierWindows`) exceeds `classifierThreshold` (PaddleOCR: `cls_thresh`, 0.9).
 */
async function upsideDownLines(
  lines: readonly RgbaImage[],
  classify: NonNullable<OcrNetworks["classify"]>,
  settings: OcrSettings,
): Promise<boolean[]> {
  const windows = lines.flatMap((line, index) => classifierWindows(line).map((window) => ({ index, window })));
  const sums = new Array<number>(lines.length).fill(0);
  const counts = new Array<number>(lines.length).fill(0);
  for (let start = 0; start < windows.length; start += settings.classifierBatch) {
    const chunk = windows.slice(start, start + settings.classifierBatch);
    const { data, shape } = await classify({
      data: lineBatch(
        chunk.map((w) => w.window),
        CLASSIFIER_WIDTH,
      ),
      shape: [chunk.length, 3, LINE_HEIGHT, CLASSIFIER_WIDTH],
    });
    if (shape.length !== 2 || shape[0] !== chunk.length || shape[1] !== 2)
      throw new AppError(
        "inference_failed",
        `the classifier's output has shape [${shape}], expected [${chunk.length}, 2]`,
      );
    chunk.forEach(({ index }, i) => {
      sums[index]! += data[2 * i + 1]!;
      counts[index]! += 1;
    });
  }
  return sums.map((sum, i) => sum / counts[i]! > settings.classifierThreshold);
}

/** The box as it lies on the page turned 180°, corners renamed to stay top-left, top-right, ... */
function turnedBox(box: Quad, page: { width: number; height: number }): Quad {
  const turn = ([x, y]: Point): Point => [page.width - 1 - x, page.height - 1 - y];
  return [turn(box[2]), turn(box[3]), turn(box[0]), turn(box[1])];
}

/**
 * Decodes the recognizer's outputs; lines keep reading order, those under `dropScore` (or with no text but spaces)
 * are left out, and spaces at either end are trimmed (PaddleOCR keeps them).
 */
export function readLines(outputs: OcrOutputs, alphabet: Alphabet, dropScore: number): OcrLine[] {
  const decoded = new Array<{ text: string; score: number } | undefined>(outputs.boxes.length);
  for (const { lines, output } of outputs.batches) {
    ctcDecode(output.data, output.shape, alphabet).forEach((line, i) => (decoded[lines[i]!] = line));
  }
  return outputs.boxes.flatMap((box, i) => {
    const line = decoded[i];
    // spaces at either end come from the box's margin, not from the text
    const text = line?.text.replace(/^ +| +$/g, "") ?? "";
    return line && line.score >= dropScore && text !== "" ? [{ text, score: line.score, box }] : [];
  });
}
