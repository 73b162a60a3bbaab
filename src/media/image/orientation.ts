/**
 * EXIF orientation (tag 0x0112 in IFD0, EXIF 2.32 §4.6.4): phones store the sensor's pixels and record how to turn
 * them. Browsers apply it when they show a JPEG, so a classifier sees what the user saw only if we apply it too.
 */
import { pixelWords, type RgbaImage } from "./rgba";

/**
 * The orientation (1..8) recorded in a TIFF-structured EXIF block, or 1 when there is none or it is unreadable.
 * @param exif the APP1 payload from the TIFF header on (a leading NUL pad byte is skipped)
 */
export function exifOrientation(exif: Uint8Array | undefined): number {
  if (!exif) return 1;
  const start = exif[0] === 0 ? 1 : 0;
  if (exif.length < start + 8) return 1;
  const view = new DataView(exif.buffer, exif.byteOffset + start, exif.byteLength - start);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > view.byteLength) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.byteLength) return 1;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * The image as it should be displayed: mirrored and/or rotated per its orientation (5..8 swap width and height).
 * @example orient(image, 6) // rotated 90° clockwise: a 640x480 sensor image becomes 480x640
 */
export function orient(image: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return image;
  const { width: w, height: h } = image;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const source = pixelWords(image);
  const data = new Uint8Array(width * height * 4);
  const target = new Uint32Array(data.buffer);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const [x, y] = sourcePoint(orientation, u, v, w, h);
      target[v * width + u] = source[y * w + x]!;
    }
  }
  return { width, height, data };
}

/** Where output pixel (u, v) comes from in the stored w×h image. */
function sourcePoint(orientation: number, u: number, v: number, w: number, h: number): [number, number] {
  switch (orientation) {
    case 2:
      return [w - 1 - u, v]; // mirrored horizontally
    case 3:
      return [w - 1 - u, h - 1 - v]; // rotated 180°
    case 4:
      return [u, h - 1 - v]; // mirrored vertically
    case 5:
      return [v, u]; // transposed
    case 6:
      return [v, h - 1 - u]; // rotated 90° clockwise
    case 7:
      return [w - 1 - v, h - 1 - u]; // transversed
    default:
      return [w - 1 - v, u]; // 8: rotated 90° counter-clockwise
  }
}
