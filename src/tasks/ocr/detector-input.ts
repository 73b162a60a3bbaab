/**
 * The detector's input: the image scaled down (never up) so it has at most `maxPixels` pixels, both sides rounded
 * to multiples of 32 (the network downsamples five times), then normalized (./pixels.ts). PaddleOCR's
 * `DetResizeForTest` (ppocr/data/imaug/operators.py) caps the longer side instead; the rounding is its.
 *
 * Why pixels rather than a side: onnxruntime-web's WASM heap only grows, and the detector's peak follows the area
 * of its input (576x576, 320x1088 and 608x576 need the same heap; 608x608, 320x1152 and 192x1920 the next step up).
 * A side cap would spend the budget of a square page on a wide one, whose text then ends up smaller than the
 * detector can see (docs/design/ocr.md).
 */
import type { RgbaImage } from "../../media/image/decode";
import { resizeBilinear } from "../../media/image/resize";
import { roundHalfEven } from "./geometry";
import { DETECTOR_NORMALIZATION, writePlanes } from "./pixels";

export interface DetectorInput {
  /** [1, 3, height, width] */
  data: Float32Array;
  width: number;
  height: number;
}

const STEP = 32;

/**
 * Scale by min(1, √(maxPixels / area)), truncate, round each side to the nearest multiple of 32 (halves to even,
 * as Python's `round`), at least 32; if rounding up went past `maxPixels`, the longer side gives way.
 * @example detectorSize(1000, 500, 576 * 576) // { width: 800, height: 416 }
 */
export function detectorSize(width: number, height: number, maxPixels: number): { width: number; height: number } {
  if (!(maxPixels >= STEP * STEP))
    throw new RangeError(`the detector's input needs at least ${STEP * STEP} pixels, got ${maxPixels}`);
  const ratio = Math.min(1, Math.sqrt(maxPixels / (width * height)));
  const side = (length: number) => Math.max(roundHalfEven(Math.trunc(length * ratio) / STEP) * STEP, STEP);
  let [w, h] = [side(width), side(height)];
  if (w * h > maxPixels) {
    if (w >= h) w = Math.max(STEP, Math.floor(maxPixels / h / STEP) * STEP);
    else h = Math.max(STEP, Math.floor(maxPixels / w / STEP) * STEP);
  }
  return { width: w, height: h };
}

export function detectorInput(image: RgbaImage, maxPixels: number): DetectorInput {
  const { width, height } = detectorSize(image.width, image.height, maxPixels);
  return detectorInputOf(resizeBilinear(image, width, height));
}

/** An image already at the detector's size (sides multiples of 32), normalized into its input. */
export function detectorInputOf(resized: RgbaImage): DetectorInput {
  const { width, height } = resized;
  const data = new Float32Array(3 * width * height);
  writePlanes(resized, data, 0, width, height, DETECTOR_NORMALIZATION);
  return { data, width, height };
}
