/**
 * Image headers, read without decoding: the format and dimensions of a PNG (IHDR, PNG spec §11.2.2) or a JPEG
 * (the first SOFn frame header, ITU T.81 §B.2.2). Decoding checks the pixel limit against these numbers before it
 * allocates anything.
 */
import { AppError } from "../../errors";

export type ImageFormat = "png" | "jpeg";

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The fields of a PNG's IHDR chunk that decoding depends on. */
export interface PngHeader extends ImageInfo {
  format: "png";
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths PNG allows per colour type (PNG spec §11.2.2, table 11.1). */
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The format and size of a PNG or JPEG from its header alone.
 * @throws AppError `invalid_media` when the bytes are neither, or the header is truncated or malformed
 * @example imageInfo(bytes) // { format: "png", width: 28, height: 28 }
 */
export function imageInfo(bytes: Uint8Array): ImageInfo {
  if (isPng(bytes)) {
    const { format, width, height } = pngHeader(bytes);
    return { format, width, height };
  }
  if (isJpeg(bytes)) return jpegInfo(bytes);
  throw new AppError("invalid_media", "the body is neither a PNG nor a JPEG image");
}

/** The IHDR chunk, which the PNG spec requires to come first, right after the signature. */
export function pngHeader(bytes: Uint8Array): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isIhdr =
    bytes.length >= 33 && view.getUint32(8) === 13 && String.fromCharCode(...bytes.subarray(12, 16)) === "IHDR";
  if (!isIhdr) throw new AppError("invalid_media", "the PNG image has no IHDR header");
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  const interlace = bytes[28]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new AppError("invalid_media", `the PNG image has invalid dimensions ${width}x${height}`);
  }
  if (!PNG_DEPTHS[colorType]?.includes(bitDepth)) {
    throw new AppError(
      "invalid_media",
      `the PNG image has an invalid colour type ${colorType} with bit depth ${bitDepth}`,
    );
  }
  if (interlace > 1) throw new AppError("invalid_media", `the PNG image has an unknown interlace method ${interlace}`);
  return { format: "png", width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** What a JPEG's frame header (SOFn) says, and where its EXIF block is. */
export interface JpegFrame extends ImageInfo {
  format: "jpeg";
  /** 1 grey, 3 YCbCr (or RGB), 4 CMYK/YCCK */
  components: number;
  /** The first APP1 "Exif" payload from its TIFF header on, if it comes before the frame header (as EXIF requires). */
  exif?: Uint8Array;
}

const EXIF_SIGNATURE = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

/** Walks the marker segments up to the first frame header. */
export function jpegFrame(bytes: Uint8Array): JpegFrame {
  let offset = 2;
  let exif: Uint8Array | undefined;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new AppError("invalid_media", `the JPEG image has no marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte before a marker (T.81 §B.1.1.2)
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      offset += 2; // markers without a length: TEM, RSTn, SOI
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI or the first scan before any frame header
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 2)
      throw new AppError("invalid_media", `the JPEG image has a segment of invalid length at byte ${offset}`);
    if (marker === 0xe1 && !exif && EXIF_SIGNATURE.every((byte, i) => bytes[offset + 4 + i] === byte)) {
      exif = bytes.subarray(offset + 10, Math.min(offset + 2 + length, bytes.length));
    }
    if (isStartOfFrame(marker)) {
      if (offset + 10 > bytes.length) break;
      const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
      const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
      // a height of 0 defers it to a DNL marker after the first scan (T.81 §B.2.5), which decoders rarely support
      if (width === 0 || height === 0)
        throw new AppError("invalid_media", `the JPEG image has invalid dimensions ${width}x${height}`);
      return { format: "jpeg", width, height, components: bytes[offset + 9]!, ...(exif ? { exif } : {}) };
    }
    offset += 2 + length;
  }
  throw new AppError("invalid_media", "the JPEG image has no frame header (SOF)");
}

function jpegInfo(bytes: Uint8Array): ImageInfo {
  const { format, width, height } = jpegFrame(bytes);
  return { format, width, height };
}
