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
  const source = image.data;
  // horizontal pass into floats (one source row at a time), then the vertical pass; the four channels of a pixel
  // are summed together
  const rows = new Float64Array(image.height * width * 4);
  for (let y = 0; y < image.height; y++) {
    const rowIn = y * image.width * 4;
    let at = y * width * 4;
    for (let x = 0; x < width; x++, at += 4) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = xs.first[x]!, from = rowIn + xs.start[x]! * 4; k < xs.first[x + 1]!; k++, from += 4) {
        const weight = xs.weights[k]!;
        r += source[from]! * weight;
        g += source[from + 1]! * weight;
        b += source[from + 2]! * weight;
        a += source[from + 3]! * weight;
      }
      rows[at] = r;
      rows[at + 1] = g;
      rows[at + 2] = b;
      rows[at + 3] = a;
    }
  }
  const stride = width * 4;
  const sums = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let k = ys.first[y]!, from = ys.start[y]! * stride; k < ys.first[y + 1]!; k++, from += stride) {
      const weight = ys.weights[k]!;
      for (let i = 0; i < stride; i++) sums[i] = sums[i]! + rows[from + i]! * weight;
    }
    const target = y * stride;
    for (let i = 0; i < stride; i++) out[target + i] = round ? Math.round(sums[i]!) : sums[i]!;
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

/** Coverage of each output coordinate: the source pixels from `start[i]`, whose shares (summing to 1) are
 * `weights[first[i]]` up to `weights[first[i + 1]]`. */
interface AreaTaps {
  start: Int32Array;
  first: Int32Array;
  weights: Float64Array;
}

function areaTaps(inSize: number, outSize: number): AreaTaps {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const first = new Int32Array(outSize + 1);
  const shares: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const from = i * scale;
    const to = Math.min((i + 1) * scale, inSize);
    start[i] = Math.floor(from);
    first[i] = shares.length;
    const end = Math.min(Math.ceil(to), inSize);
    for (let j = start[i]!; j < end; j++) shares.push((Math.min(j + 1, to) - Math.max(j, from)) / (to - from));
  }
  first[outSize] = shares.length;
  return { start, first, weights: Float64Array.from(shares) };
}
