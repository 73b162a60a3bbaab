/**
 * The detector's input: the image resized so its longer side is at most `maxSide` and both sides are multiples of
 * 32 (the network downsamples five times), as PaddleOCR's `DetResizeForTest` with `limit_type: max`
 * (ppocr/data/imaug/operators.py), then normalized (./pixels.ts).
 *
 * `maxSide` bounds the WASM memory the detector needs: onnxruntime-web's heap only grows, and its peak is set by
 * the largest input ever run (see notes/ocr.md for the measurements behind the default).
 */
import type { RgbaImage } from "../image/decode";
import { resizeBilinear } from "../image/resize";
import { roundHalfEven } from "./geometry";
import { DETECTOR_NORMALIZATION, writePlanes } from "./pixels";

export interface DetectorInput {
  /** [1, 3, height, width] */
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * PaddleOCR's size rule: scale down (never up) so the longer side is at most `maxSide`, truncate, then round each
 * side to the nearest multiple of 32 (halves to even, as Python's `round`), at least 32.
 * @param maxSide a multiple of 32, so rounding never goes past it
 * @example detectorSize(1000, 500, 576) // { width: 576, height: 288 }
 */
export function detectorSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  if (maxSide % 32 !== 0 || maxSide < 32) throw new RangeError(`the detector's side cap must be a positive multiple of 32, got ${maxSide}`);
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const side = (length: number) => Math.max(roundHalfEven(Math.trunc(length * ratio) / 32) * 32, 32);
  return { width: side(width), height: side(height) };
}

export function detectorInput(image: RgbaImage, maxSide: number): DetectorInput {
  const { width, height } = detectorSize(image.width, image.height, maxSide);
  const resized = resizeBilinear(image, width, height);
  const data = new Float32Array(3 * width * height);
  writePlanes(resized, data, 0, width, height, DETECTOR_NORMALIZATION);
  return { data, width, height };
}
