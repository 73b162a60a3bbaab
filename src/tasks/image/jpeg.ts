/**
 * JPEG → 8-bit RGBA with jpeg-js (pure JavaScript): baseline, extended and progressive Huffman JPEGs, greyscale,
 * YCbCr, and CMYK/YCCK (Adobe), with EXIF orientation applied. Arithmetic-coded and lossless JPEGs are refused.
 * Pixel values may differ from libjpeg's by a few levels (IDCT and chroma upsampling differ).
 */
import decodeWithJpegJs from "jpeg-js/lib/decoder.js";
import type { RgbaImage } from "./rgba";
import { exifOrientation, orient } from "./orientation";

/** Bytes jpeg-js may allocate per pixel: its component planes, coefficient blocks and the RGBA output. */
const BYTES_PER_PIXEL_BUDGET = 24;

/** Decodes a JPEG whose header has already been checked against the pixel limit. Throws plain errors when broken. */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbaImage {
  const decoded = decodeWithJpegJs(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    // jpeg-js counts megapixels as 10^6 pixels and enforces these limits itself too, as a second line
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.ceil((maxPixels * BYTES_PER_PIXEL_BUDGET) / 2 ** 20) + 16,
  });
  const image = { width: decoded.width, height: decoded.height, data: decoded.data };
  return orient(image, exifOrientation(decoded.exifBuffer));
}
