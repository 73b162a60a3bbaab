/**
 * Line images → the direction classifier's and the recognizer's inputs, as PaddleOCR's `resize_norm_img`
 * (tools/infer/predict_cls.py, predict_rec.py): each line scaled to 48 pixels high keeping its aspect ratio
 * (width ⌈48·w/h⌉, at most the batch width), normalized to [−1, 1], left-aligned and zero-padded to the batch width.
 * The classifier's batch width is fixed (192); the recognizer's follows its widest line.
 */
import type { RgbaImage } from "../../media/image/decode";
import { resizeBilinear } from "../../media/image/resize";
import { LINE_NORMALIZATION, writePlanes } from "./pixels";

export const LINE_HEIGHT = 48;
/** The classifier's input width (`cls_image_shape` 3, 48, 192). */
export const CLASSIFIER_WIDTH = 192;

/** Windows the classifier looks at per line, at most (long lines are sampled evenly). */
export const MAX_CLASSIFIER_WINDOWS = 8;

/**
 * The pieces of a line the direction classifier sees. PaddleOCR squeezes the whole line into 48x192, which for
 * long lines (over 4:1) distorts the glyphs so much that the classifier calls upright English lines upside down
 * (2 of 86 test lines, with probability 0.94-0.96). Instead, the line is scaled to 48 pixels high and cut into
 * 192-pixel windows (at most 8, evenly spread, the last one flush with the end); their probabilities are averaged.
 * A line of at most 4:1 is one window, exactly PaddleOCR's input.
 */
export function classifierWindows(line: RgbaImage): RgbaImage[] {
  const width = Math.ceil(LINE_HEIGHT * (line.width / line.height));
  if (width <= CLASSIFIER_WIDTH) return [line];
  const scaled = resizeBilinear(line, width, LINE_HEIGHT);
  const count = Math.min(Math.ceil(width / CLASSIFIER_WIDTH), MAX_CLASSIFIER_WINDOWS);
  return Array.from({ length: count }, (_, i) => {
    const left = Math.round((i * (width - CLASSIFIER_WIDTH)) / (count - 1));
    const data = new Uint8Array(CLASSIFIER_WIDTH * LINE_HEIGHT * 4);
    for (let y = 0; y < LINE_HEIGHT; y++) {
      const from = (y * width + left) * 4;
      data.set(scaled.data.subarray(from, from + CLASSIFIER_WIDTH * 4), y * CLASSIFIER_WIDTH * 4);
    }
    return { width: CLASSIFIER_WIDTH, height: LINE_HEIGHT, data };
  });
}

/** A [lines, 3, 48, width] batch of line images. */
export function lineBatch(lines: readonly RgbaImage[], width: number): Float32Array {
  const itemSize = 3 * LINE_HEIGHT * width;
  const data = new Float32Array(lines.length * itemSize);
  lines.forEach((line, i) => {
    const scaledWidth = Math.min(Math.ceil(LINE_HEIGHT * (line.width / line.height)), width);
    const scaled =
      scaledWidth === line.width && line.height === LINE_HEIGHT ? line : resizeBilinear(line, scaledWidth, LINE_HEIGHT);
    writePlanes(scaled, data, i * itemSize, width, LINE_HEIGHT, LINE_NORMALIZATION);
  });
  return data;
}

export interface RecognizerBatching {
  /** Lines per session call (PaddleOCR's `rec_batch_num`, 6). */
  batchSize: number;
  /** The narrowest batch (`rec_image_shape` 3, 48, 320). */
  minWidth: number;
  /**
   * Lines × width per call, at most: the recognizer's WASM memory grows with it. A line wider than this on its
   * own is squeezed to this width.
   */
  maxColumns: number;
}

export interface RecognizerBatch {
  /** Which lines, by index in the input. */
  lines: number[];
  width: number;
}

/**
 * Groups lines of similar aspect ratio so little padding is run: sorted by width / height (as PaddleOCR does),
 * then cut into batches of at most `batchSize` lines and `maxColumns` columns. A batch is
 * ⌊48 · max(minWidth / 48, widest ratio)⌋ wide, capped at `maxColumns`.
 * @example recognizerBatches([{width: 100, height: 20}], {batchSize: 6, minWidth: 320, maxColumns: 3200}) // [{lines: [0], width: 320}]
 */
export function recognizerBatches(
  sizes: readonly { width: number; height: number }[],
  settings: RecognizerBatching,
): RecognizerBatch[] {
  const ratio = (i: number) => sizes[i]!.width / sizes[i]!.height;
  const order = sizes.map((_, i) => i).sort((a, b) => ratio(a) - ratio(b));
  const widthFor = (widestRatio: number) =>
    Math.min(Math.trunc(LINE_HEIGHT * Math.max(settings.minWidth / LINE_HEIGHT, widestRatio)), settings.maxColumns);
  const batches: RecognizerBatch[] = [];
  let current: RecognizerBatch | undefined;
  for (const line of order) {
    const width = widthFor(ratio(line));
    const fits =
      current !== undefined &&
      current.lines.length < settings.batchSize &&
      (current.lines.length + 1) * width <= settings.maxColumns;
    if (fits) {
      current!.lines.push(line);
      current!.width = width;
    } else {
      current = { lines: [line], width };
      batches.push(current);
    }
  }
  return batches;
}
