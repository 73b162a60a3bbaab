/**
 * Resampling RGBA images, with pixel centres aligned (a pixel covers [x, x + 1) and its centre is x + 0.5):
 * - `bilinear`: OpenCV's INTER_LINEAR, PyTorch's `interpolate(mode="bilinear", align_corners=False)` and PIL's
 *   BILINEAR when enlarging. Output pixel x samples source point (x + 0.5) * inWidth / outWidth - 0.5, clamped.
 *   When shrinking by more than 2x it skips source pixels (thin strokes can vanish), hence:
 * - `area`: each output pixel is the mean of the source area it covers, partial pixels weighted by their coverage
 *   (OpenCV's INTER_AREA when shrinking). The right filter for downscaling.
 * - `auto`: `area` when the image shrinks in both directions, `bilinear` otherwise.
 * 8-bit results are rounded to the nearest level once, at the end; `float32` results are not rounded at all.
 */
import type { AnyRgbaImage, FloatRgbaImage, RgbaImage } from "./rgba";

export const RESIZE_METHODS = ["bilinear", "area", "auto"] as const;
export type ResizeMethod = (typeof RESIZE_METHODS)[number];

/** @example resizeBilinear(image, 224, 224) // a 224x224 8-bit RGBA image */
export function resizeBilinear(image: AnyRgbaImage, width: number, height: number): RgbaImage {
  return { width, height, data: bilinear(image, width, height, new Uint8Array(outputLength(width, height))) };
}

/** @example resizeArea(photo640x480, 32, 24) // each output pixel averages a 20x20 block */
export function resizeArea(image: AnyRgbaImage, width: number, height: number): RgbaImage {
  return { width, height, data: area(image, width, height, new Uint8Array(outputLength(width, height))) };
}

/**
 * Resamples with `method` into unrounded levels.
 * @example resizeToFloat(photo, 28, 28, "auto") // area-averaged when `photo` is larger than 28x28
 */
export function resizeToFloat(image: AnyRgbaImage, width: number, height: number, method: ResizeMethod): FloatRgbaImage {
  const out = new Float32Array(outputLength(width, height));
  const shrinks = width <= image.width && height <= image.height;
  const data = method === "area" || (method === "auto" && shrinks) ? area(image, width, height, out) : bilinear(image, width, height, out);
  return { width, height, data };
}

function outputLength(width: number, height: number): number {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`cannot resize to ${width}x${height}`);
  return width * height * 4;
}

function bilinear<T extends Uint8Array | Float32Array>(image: AnyRgbaImage, width: number, height: number, out: T): T {
  const round = out instanceof Uint8Array;
  const xs = bilinearTaps(image.width, width);
  const ys = bilinearTaps(image.height, height);
  const source = image.data;
  const rowStride = image.width * 4;
  for (let y = 0; y < height; y++) {
    const top = ys.low[y]! * rowStride;
    const bottom = ys.high[y]! * rowStride;
    const fy = ys.weight[y]!;
    for (let x = 0; x < width; x++) {
      const left = xs.low[x]! * 4;
      const right = xs.high[x]! * 4;
      const fx = xs.weight[x]!;
      const at = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const upper = source[top + left + c]! + (source[top + right + c]! - source[top + left + c]!) * fx;
        const lower = source[bottom + left + c]! + (source[bottom + right + c]! - source[bottom + left + c]!) * fx;
        const value = upper + (lower - upper) * fy;
        out[at + c] = round ? Math.round(value) : value;
      }
    }
  }
  return out;
}

function area<T extends Uint8Array | Float32Array>(image: AnyRgbaImage, width: number, height: number, out: T): T {
  const round = out instanceof Uint8Array;
  const xs = areaTaps(image.width, width);
  const ys = areaTaps(image.height, height);
  // horizontal pass into floats (one source row at a time), then the vertical pass
  const rows = new Float64Array(image.height * width * 4);
  for (let y = 0; y < image.height; y++) {
    const rowIn = y * image.width * 4;
    const rowOut = y * width * 4;
    for (let x = 0; x < width; x++) {
      const { start, weights } = xs[x]!;
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += image.data[rowIn + (start + k) * 4 + c]! * weights[k]!;
        rows[rowOut + x * 4 + c] = sum;
      }
    }
  }
  const stride = width * 4;
  for (let y = 0; y < height; y++) {
    const { start, weights } = ys[y]!;
    for (let i = 0; i < stride; i++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += rows[(start + k) * stride + i]! * weights[k]!;
      out[y * stride + i] = round ? Math.round(sum) : sum;
    }
  }
  return out;
}

/** For each output coordinate: the two neighbouring source coordinates and the weight of the second. */
function bilinearTaps(inSize: number, outSize: number): { low: Int32Array; high: Int32Array; weight: Float64Array } {
  const low = new Int32Array(outSize);
  const high = new Int32Array(outSize);
  const weight = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const point = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), inSize - 1);
    low[i] = Math.floor(point);
    high[i] = Math.min(low[i]! + 1, inSize - 1);
    weight[i] = point - low[i]!;
  }
  return { low, high, weight };
}

/** For each output coordinate: the first source pixel it covers and each covered pixel's share (summing to 1). */
function areaTaps(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => {
    const from = i * scale;
    const to = Math.min((i + 1) * scale, inSize);
    const start = Math.floor(from);
    const end = Math.min(Math.ceil(to), inSize);
    const weights = new Float64Array(end - start);
    for (let j = start; j < end; j++) weights[j - start] = (Math.min(j + 1, to) - Math.max(j, from)) / (to - from);
    return { start, weights };
  });
}
