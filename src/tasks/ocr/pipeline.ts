/**
 * PP-OCR's system (tools/infer/predict_system.py) with the networks left abstract, and a page step PaddleOCR leaves
 * to a separate model:
 * 1. detect text regions;
 * 2. from their shapes, decide whether the page lies a quarter turn off and how far it is tilted
 *    (./page-geometry.ts); if either, turn the page back and detect again (./page-frame.ts): once, and only then;
 * 3. cut each line out of the decoded image, upright as the frame sees it (./crop.ts);
 * 4. let the direction classifier's line classifications vote on 0° or 180° for the whole page
 *    (./orientation.ts), and turn the lines that are upside down;
 * 5. recognize them in batches of similar width;
 * 6. decode them, drop those scored under `dropScore` or empty, and put the rest in reading order, column by column
 *    (`readLines`, ./reading-order.ts): a speck of noise that reads as nothing takes no part in the layout.
 * The Worker runs the networks through its session pool (src/tasks/ocr.ts); the Node reference
 * (scripts/ocr/node-pipeline.ts) runs the same code with onnxruntime-node, so only the runtime differs.
 */
import { AppError } from "../../errors";
import type { RgbaImage } from "../../media/image/decode";
import { cropLine, rotateHalfTurn } from "./crop";
import { type Alphabet, ctcDecode } from "./ctc";
import { boxesFromProbabilityMap, type DbSettings, type TextBox } from "./db-postprocess";
import type { DetectorInput } from "./detector-input";
import { mapQuad, type Point, type Quad } from "./geometry";
import {
  CLASSIFIER_WIDTH,
  classifierWindows,
  LINE_HEIGHT,
  lineBatch,
  type RecognizerBatching,
  recognizerBatches,
} from "./line-input";
import { type LineDirection, type OrientationSettings, orientLines } from "./orientation";
import { frameDetectorInput, type PageFrame, pageFrame } from "./page-frame";
import { pageGeometry } from "./page-geometry";
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
  /** The detector's input has at most this many pixels (./detector-input.ts). */
  maxPixels: number;
  db: DbSettings;
  /** Windows (192x48 pieces of lines) per classifier call. */
  classifierBatch: number;
  orientation: OrientationSettings;
  deskew: DeskewSettings;
  recognizer: RecognizerBatching;
  /** Lines whose recognition score is below this are dropped (`drop_score`, 0.5). */
  dropScore: number;
  /** A space is written between two characters where the space class reaches this (./ctc.ts). */
  spaceThreshold: number;
}

export interface DeskewSettings {
  enabled: boolean;
  /** The page is turned back and detected again only when tilted by more than this many degrees... */
  minDegrees: number;
  /** ...and at most this many. */
  maxDegrees: number;
}

/** What the networks gave, per line in the order found: boxes, layout, the recognizer's outputs; the page's angle. */
export interface OcrOutputs {
  /** Each line's corners in image pixels, clockwise from the text's top-left (as the text reads). */
  boxes: Quad[];
  /** Each line's region before it was grown, as it lies on the upright page (for the reading order). */
  layout: { regions: Quad[]; skew: number };
  /** The recognizer's outputs, `lines` indexing the lines above. */
  batches: { lines: number[]; output: FloatTensor }[];
  /** How far the page is turned clockwise: 0, 90, 180 or 270. */
  angle: number;
  /** Degrees clockwise the lines are tilted beyond `angle`, as measured (turned back when over `minDegrees`). */
  skew: number;
  /** What the direction classifier said of each line, when there is one. */
  directions?: LineDirection[];
}

export interface OcrLine {
  text: string;
  score: number;
  box: Quad;
}

/** Runs the networks on one page (`detection` is `detectorInput(image, settings.maxPixels)`). */
export async function runOcrNetworks(
  image: RgbaImage,
  detection: DetectorInput,
  networks: OcrNetworks,
  settings: OcrSettings,
): Promise<OcrOutputs> {
  const page = await detectPage(image, detection, networks, settings);
  const lines = await uprightLines(image, page, networks, settings);
  const batches = await recognizeLines(lines.images, networks, settings.recognizer);
  const outputs: OcrOutputs = {
    boxes: lines.boxes,
    layout: { regions: lines.layout, skew: page.remainingSkew },
    batches,
    angle: page.angle(lines.pageTurned),
    skew: page.skew,
  };
  if (lines.directions) outputs.directions = lines.directions;
  return outputs;
}

/** The text regions of a page, found in the frame that shows it upright but for a half turn. */
interface DetectedPage {
  frame: PageFrame;
  regions: TextBox[];
  /** The page's angle, given whether the lines' vote finds it upside down in `frame`. */
  angle(pageTurned: boolean): number;
  /** Measured tilt (rounded to 0.1°), and what is left of it in `frame`. */
  skew: number;
  remainingSkew: number;
}

/**
 * Steps 1 and 2: detect; if the regions run up or down the page, or lean by more than `deskew.minDegrees`, turn
 * the page back and detect again (once).
 */
async function detectPage(
  image: RgbaImage,
  detection: DetectorInput,
  networks: OcrNetworks,
  settings: OcrSettings,
): Promise<DetectedPage> {
  let frame = pageFrame(image, 0);
  let regions = await detectRegions(detection, frame, networks, settings.db);
  const { quarterTurned, skew } = pageGeometry(regions.map((region) => region.core));
  const quarterTurn = quarterTurned && settings.orientation.mode === "page";
  const { enabled, minDegrees, maxDegrees } = settings.deskew;
  const deskew = enabled && Math.abs(skew) > minDegrees && Math.abs(skew) <= maxDegrees;
  if (quarterTurn || deskew) {
    frame = pageFrame(image, -((quarterTurn ? 90 : 0) + (deskew ? skew : 0)));
    regions = await detectRegions(frameDetectorInput(image, frame, settings.maxPixels), frame, networks, settings.db);
  }
  return {
    frame,
    regions,
    angle: (pageTurned) => (quarterTurn ? 90 : 0) + (pageTurned ? 180 : 0),
    skew: Math.round(skew * 10) / 10,
    remainingSkew: deskew ? 0 : skew,
  };
}

/**
 * Steps 3 and 4: cut the lines out of the decoded image (corners in the frame's reading order, so a line of a
 * quarter-turned page comes out upright) and let the classifier's verdicts decide which to turn 180°. Boxes come back
 * in image pixels, clockwise from each line's own top-left; regions as they lie on the page turned upright.
 */
async function uprightLines(
  image: RgbaImage,
  page: DetectedPage,
  networks: OcrNetworks,
  settings: OcrSettings,
): Promise<{ images: RgbaImage[]; boxes: Quad[]; layout: Quad[]; pageTurned: boolean; directions?: LineDirection[] }> {
  const { frame, regions } = page;
  const boxes = regions.map((region) => mapQuad(region.box, frame.toImage));
  const crops = boxes.map((box) => cropLine(image, box));
  const directions = networks.classify && (await lineDirections(crops, networks.classify, settings.classifierBatch));
  const { pageTurned, turned } = directions
    ? orientLines(directions, settings.orientation)
    : { pageTurned: false, turned: crops.map(() => false) };
  return {
    images: crops.map((crop, i) => (turned[i] ? rotateHalfTurn(crop) : crop)),
    boxes: boxes.map((box, i) => imageBox(turned[i] ? turnedCorners(box) : box, image)),
    layout: regions.map((region) => (pageTurned ? turnedQuad(region.core, frame) : region.core)),
    pageTurned,
    ...(directions && { directions }),
  };
}

/** Step 6: the recognizer over lines of similar width, in batches. */
async function recognizeLines(
  lines: readonly RgbaImage[],
  networks: OcrNetworks,
  batching: RecognizerBatching,
): Promise<OcrOutputs["batches"]> {
  const batches: OcrOutputs["batches"] = [];
  for (const batch of recognizerBatches(lines, batching)) {
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
  return batches;
}

/** The detector on one input; regions in the frame's pixels. */
async function detectRegions(
  input: DetectorInput,
  frame: PageFrame,
  networks: OcrNetworks,
  db: DbSettings,
): Promise<TextBox[]> {
  const map = await networks.detect({ data: input.data, shape: [1, 3, input.height, input.width] });
  const [, , height, width] = map.shape;
  if (map.shape.length !== 4 || height !== input.height || width !== input.width) {
    throw new AppError(
      "inference_failed",
      `the detector's output has shape [${map.shape}], expected [1, 1, ${input.height}, ${input.width}]`,
    );
  }
  return boxesFromProbabilityMap({ data: map.data, width, height }, frame, db);
}

/**
 * What the classifier says of each line: the mean 180° probability of its windows (./line-input.ts
 * `classifierWindows`) and how many windows it saw.
 */
async function lineDirections(
  lines: readonly RgbaImage[],
  classify: NonNullable<OcrNetworks["classify"]>,
  batchSize: number,
): Promise<LineDirection[]> {
  const windows = lines.flatMap((line, index) => classifierWindows(line).map((window) => ({ index, window })));
  const sums = new Array<number>(lines.length).fill(0);
  const counts = new Array<number>(lines.length).fill(0);
  for (let start = 0; start < windows.length; start += batchSize) {
    const chunk = windows.slice(start, start + batchSize);
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
  return sums.map((sum, i) => ({ upsideDown: sum / counts[i]!, windows: counts[i]! }));
}

/** The quad as it lies on the frame turned 180°, corners renamed to stay top-left, top-right, ... */
function turnedQuad(quad: Quad, frame: { width: number; height: number }): Quad {
  const turn = ([x, y]: Point): Point => [frame.width - x, frame.height - y];
  return [turn(quad[2]), turn(quad[3]), turn(quad[0]), turn(quad[1])];
}

/** The same corners, starting from the other end: the top-left of the line once it is turned 180°. */
function turnedCorners(box: Quad): Quad {
  return [box[2], box[3], box[0], box[1]];
}

/** Whole pixels inside the image. */
function imageBox(box: Quad, image: { width: number; height: number }): Quad {
  const clamp = (value: number, high: number) => Math.min(Math.max(Math.round(value), 0), high);
  return mapQuad(box, ([x, y]) => [clamp(x, image.width - 1), clamp(y, image.height - 1)]);
}

/**
 * Decodes the recognizer's outputs, leaves out lines scored under `dropScore` or with no text but spaces, trims
 * spaces at either end (PaddleOCR keeps them) and puts the lines left in reading order (./reading-order.ts).
 */
export function readLines(
  outputs: OcrOutputs,
  alphabet: Alphabet,
  { dropScore, spaceThreshold }: Pick<OcrSettings, "dropScore" | "spaceThreshold">,
): OcrLine[] {
  const decoded = new Array<{ text: string; score: number } | undefined>(outputs.boxes.length);
  for (const { lines, output } of outputs.batches) {
    ctcDecode(output.data, output.shape, alphabet, spaceThreshold).forEach((line, i) => (decoded[lines[i]!] = line));
  }
  const kept = outputs.boxes.flatMap((box, i) => {
    const line = decoded[i];
    // spaces at either end come from the box's margin, not from the text
    const text = line?.text.replace(/^ +| +$/g, "") ?? "";
    return line && line.score >= dropScore && text !== "" ? [{ line: { text, score: line.score, box }, index: i }] : [];
  });
  const { regions, skew } = outputs.layout;
  return readingOrder(
    kept.map(({ index }) => regions[index]!),
    skew,
  ).map((k) => kept[k]!.line);
}
