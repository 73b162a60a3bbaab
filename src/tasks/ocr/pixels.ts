/**
 * Pixels → model input for PaddleOCR's models. They were trained on images read by OpenCV, so channels go in BGR
 * order (PaddleOCR's configs decode with `img_mode: BGR` and its inference tools feed `cv2.imread` output as is),
 * normalized per channel as (value / 255 − mean) / std and laid out as planes (CHW).
 */
import type { RgbaImage } from "../../media/image/decode";

export interface Normalization {
  /** Per plane, in the planes' (BGR) order. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The detector's `NormalizeImage` (ImageNet statistics, applied to B, G, R in that order, as PaddleOCR does). */
export const DETECTOR_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** The classifier's and recognizer's `resize_norm_img`: values to [−1, 1]. */
export const LINE_NORMALIZATION: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** RGBA byte offsets of the B, G and R planes. */
const BGR = [2, 1, 0] as const;

/**
 * Writes `image` into one item of a [batch, 3, planeHeight, planeWidth] tensor starting at `offset`, left-aligned;
 * columns right of the image keep what `out` holds (zeros: PaddleOCR's padding).
 */
export function writePlanes(
  image: RgbaImage,
  out: Float32Array,
  offset: number,
  planeWidth: number,
  planeHeight: number,
  norm: Normalization,
): void {
  if (image.width > planeWidth || image.height !== planeHeight)
    throw new RangeError(`a ${image.width}x${image.height} image does not fit ${planeWidth}x${planeHeight} planes`);
  const planeSize = planeWidth * planeHeight;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * norm.std[c]!);
    const shift = norm.mean[c]! / norm.std[c]!;
    const source = BGR[c]!;
    const plane = offset + c * planeSize;
    for (let y = 0; y < image.height; y++) {
      const row = plane + y * planeWidth;
      let at = y * image.width * 4 + source;
      for (let x = 0; x < image.width; x++, at += 4) out[row + x] = image.data[at]! * scale - shift;
    }
  }
}
