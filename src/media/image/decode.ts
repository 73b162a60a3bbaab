/**
 * Image bodies → pixels, inside workerd: PNG (./png.ts, JavaScript on fflate) and JPEG (./jpeg.ts, libjpeg-turbo in
 * WASM) decoded into 8-bit RGBA. The header is read first, so an image over the pixel limit is refused (413 `too_many_pixels`) before
 * anything is allocated; whatever fails to decode is 422 `invalid_media`, never a 500.
 */
import { AppError, isAppError } from "../../errors";
import { imageInfo, isPng, pngHeader } from "./header";
import { decodeJpeg } from "./jpeg";
import { decodePng } from "./png";
import type { RgbaImage } from "./rgba";

export { type ImageFormat, type ImageInfo, imageInfo } from "./header";
export type { RgbaImage } from "./rgba";

/**
 * Decodes a PNG or JPEG into RGBA (JPEGs turned upright per their EXIF orientation).
 * @throws AppError `too_many_pixels` (413) when the header's width × height exceeds `maxPixels`, before decoding
 * @throws AppError `invalid_media` (422) when the bytes are not a PNG or JPEG, or do not decode
 * @example decodeImage(bytes, 4 * 1024 * 1024) // { width: 640, height: 480, data: Uint8Array(1228800) }
 */
export function decodeImage(bytes: Uint8Array, maxPixels: number): RgbaImage {
  const info = imageInfo(bytes);
  const pixels = info.width * info.height;
  if (pixels > maxPixels) {
    throw new AppError(
      "too_many_pixels",
      `the ${info.format.toUpperCase()} image is ${info.width}x${info.height} (${pixels} pixels); the limit is ${maxPixels} pixels`,
    );
  }
  try {
    return isPng(bytes) ? decodePng(bytes, pngHeader(bytes)) : decodeJpeg(bytes, maxPixels);
  } catch (error) {
    if (isAppError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError("invalid_media", `the ${info.format.toUpperCase()} image could not be decoded: ${reason}`, {
      cause: error,
    });
  }
}
