/**
 * JPEG → 8-bit RGBA, with EXIF orientation applied. Grey and YCbCr files (baseline, progressive, arithmetic-coded)
 * go to libjpeg-turbo in WASM (./mozjpeg.ts), whose pixels are libjpeg's own (sharp's too); truncated files and
 * damaged scan data are refused. CMYK/YCCK files (Adobe), which that build cannot convert to RGB, go to jpeg-js
 * (pure JavaScript, slower; its IDCT and chroma upsampling differ from libjpeg's by a few levels). Lossless and
 * 12-bit JPEGs are refused.
 */
import decodeWithJpegJs from "jpeg-js/lib/decoder.js";
import { jpegFrame } from "./header";
import { decodeWithMozjpeg } from "./mozjpeg";
import { exifOrientation, orient } from "./orientation";
import type { RgbaImage } from "./rgba";

/** Bytes jpeg-js may allocate per pixel: its component planes, coefficient blocks and the RGBA output. */
const BYTES_PER_PIXEL_BUDGET = 24;

/** Decodes a JPEG whose header has already been checked against the pixel limit. Throws plain errors when broken. */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbaImage {
  const frame = jpegFrame(bytes);
  const image = frame.components === 4 ? decodeCmyk(bytes, maxPixels) : decodeWithMozjpeg(bytes);
  if (image.width !== frame.width || image.height !== frame.height) {
    throw new Error(`the decoder gave ${image.width}x${image.height} for a ${frame.width}x${frame.height} frame`);
  }
  // a JPEG has no alpha: the decoders write 255 into every pixel's
  return { ...orient(image, exifOrientation(frame.exif)), opaque: true };
}

function decodeCmyk(bytes: Uint8Array, maxPixels: number): RgbaImage {
  const decoded = decodeWithJpegJs(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    // jpeg-js counts megapixels as 10^6 pixels and enforces these limits itself too, as a second line
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.ceil((maxPixels * BYTES_PER_PIXEL_BUDGET) / 2 ** 20) + 16,
  });
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}
