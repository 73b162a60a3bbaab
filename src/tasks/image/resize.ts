/**
 * Resampling RGBA images. Bilinear with pixel centres aligned (as OpenCV's INTER_LINEAR, PIL's BILINEAR without
 * antialiasing and `align_corners=false` in PyTorch): the source point of output pixel x is
 * (x + 0.5) * inWidth / outWidth - 0.5, clamped to the image. Results are rounded to the nearest level.
 */
import type { RgbaImage } from "./decode";

/**
 * @example resizeBilinear(image, 224, 224) // a 224x224 RGBA image
 */
export function resizeBilinear(image: RgbaImage, width: number, height: number): RgbaImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`cannot resize to ${width}x${height}`);
  if (width === image.width && height === image.height) return { width, height, data: image.data.slice() };
  const xs = samplePoints(image.width, width);
  const ys = samplePoints(image.height, height);
  const source = image.data;
  const data = new Uint8Array(width * height * 4);
  const rowStride = image.width * 4;
  for (let y = 0; y < height; y++) {
    const top = ys.low[y]! * rowStride;
    const bottom = ys.high[y]! * rowStride;
    const fy = ys.weight[y]!;
    for (let x = 0; x < width; x++) {
      const left = xs.low[x]! * 4;
      const right = xs.high[x]! * 4;
      const fx = xs.weight[x]!;
      const out = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const upper = source[top + left + c]! + (source[top + right + c]! - source[top + left + c]!) * fx;
        const lower = source[bottom + left + c]! + (source[bottom + right + c]! - source[bottom + left + c]!) * fx;
        data[out + c] = Math.round(upper + (lower - upper) * fy);
      }
    }
  }
  return { width, height, data };
}

/** For each output coordinate: the two neighbouring source coordinates and the weight of the second. */
function samplePoints(inSize: number, outSize: number): { low: Int32Array; high: Int32Array; weight: Float64Array } {
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
