/**
 * Resampling images of any channel count, with pixel centres aligned (a pixel covers [x, x + 1) and its centre is
 * x + 0.5):
 * - `bilinear`: OpenCV's INTER_LINEAR, PyTorch's `interpolate(mode="bilinear", align_corners=False)` and PIL's
 *   BILINEAR when enlarging. Output pixel x samples source point (x + 0.5) * inWidth / outWidth - 0.5, clamped.
 *   When shrinking by more than 2x it skips source pixels (thin strokes can vanish), hence:
 * - `area`: each output pixel is the mean of the source area it covers, partial pixels weighted by their coverage
 *   (OpenCV's INTER_AREA when shrinking). The right filter for downscaling.
 * - `auto`: `area` when the image shrinks in both directions, `bilinear` otherwise.
 * 8-bit results are rounded to the nearest level once, at the end; float results are not rounded at all.
 */
import { type AnyImage, channelsOf, type FloatImage, type RgbaImage } from "./rgba";

export const RESIZE_METHODS = ["bilinear", "area", "auto"] as const;
export type ResizeMethod = (typeof RESIZE_METHODS)[number];

/** @example resizeBilinear(image, 224, 224) // a 224x224 8-bit RGBA image */
export function resizeBilinear(image: RgbaImage, width: number, height: number): RgbaImage {
  return { width, height, data: bilinear(image, width, height, new Uint8Array(outputLength(width, height, 4))) };
}

/** @example resizeArea(photo640x480, 32, 24) // each output pixel averages a 20x20 block */
export function resizeArea(image: RgbaImage, width: number, height: number): RgbaImage {
  return { width, height, data: area(image, width, height, new Uint8Array(outputLength(width, height, 4))) };
}

/**
 * Resamples with `method` into unrounded levels, keeping the channel count.
 * @example resizeToFloat(greyPlane, 28, 28, "auto") // area-averaged when the plane is larger than 28x28
 */
export function resizeToFloat(image: AnyImage, width: number, height: number, method: ResizeMethod): FloatImage {
  const channels = channelsOf(image);
  const out = new Float32Array(outputLength(width, height, channels));
  const shrinks = width <= image.width && height <= image.height;
  const data =
    method === "area" || (method === "auto" && shrinks)
      ? area(image, width, height, out)
      : bilinear(image, width, height, out);
  return { width, height, channels, data };
}

function outputLength(width: number, height: number, channels: number): number {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new RangeError(`cannot resize to ${width}x${height}`);
  return width * height * channels;
}

/** The source's samples as both filters read them, and whether results are 8-bit levels (rounded). */
function samplesOf(image: AnyImage, out: Uint8Array | Float32Array) {
  const channels = channelsOf(image);
  return { source: image.data, channels, rowStride: image.width * channels, round: out instanceof Uint8Array };
}

function bilinear<T extends Uint8Array | Float32Array>(image: AnyImage, width: number, height: number, out: T): T {
  const { source, channels, rowStride, round } = samplesOf(image, out);
  const xs = bilinearTaps(image.width, width);
  const ys = bilinearTaps(image.height, height);
  for (let y = 0; y < height; y++) {
    const top = ys.low[y]! * rowStride;
    const bottom = ys.high[y]! * rowStride;
    const fy = ys.weight[y]!;
    for (let x = 0; x < width; x++) {
      const left = xs.low[x]! * channels;
      const right = xs.high[x]! * channels;
      const fx = xs.weight[x]!;
      const at = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        const upper = source[top + left + c]! + (source[top + right + c]! - source[top + left + c]!) * fx;
        const lower = source[bottom + left + c]! + (source[bottom + right + c]! - source[bottom + left + c]!) * fx;
        const value = upper + (lower - upper) * fy;
        out[at + c] = round ? Math.round(value) : value;
      }
    }
  }
  return out;
}

function area<T extends Uint8Array | Float32Array>(image: AnyImage, width: number, height: number, out: T): T {
  const { source, channels, rowStride: inStride, round } = samplesOf(image, out);
  const xs = areaTaps(image.width, width);
  const ys = areaTaps(image.height, height);
  // the vertical pass first, over whole source rows (contiguous), into one row of sums per output row; then the
  // horizontal pass over those few rows
  const columns = new Float64Array(height * inStride);
  for (let y = 0; y < height; y++) {
    const target = y * inStride;
    const firstTap = ys.first[y]!;
    const lastTap = ys.first[y + 1]!;
    const startAt = ys.start[y]! * inStride;
    for (let i = 0; i < inStride; i++) {
      let sum = 0;
      for (let k = firstTap, from = startAt + i; k < lastTap; k++, from += inStride)
        sum += source[from]! * ys.weights[k]!;
      columns[target + i] = sum;
    }
  }
  for (let y = 0; y < height; y++) {
    const rowIn = y * inStride;
    let at = y * width * channels;
    for (let x = 0; x < width; x++, at += channels) {
      const firstTap = xs.first[x]!;
      const lastTap = xs.first[x + 1]!;
      const startAt = rowIn + xs.start[x]! * channels;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = firstTap, from = startAt + c; k < lastTap; k++, from += channels)
          sum += columns[from]! * xs.weights[k]!;
        out[at + c] = round ? Math.round(sum) : sum;
      }
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
