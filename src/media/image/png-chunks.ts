/**
 * The PNG chunk layer (PNG spec §5, §10): the image data, palette and transparency, and inflating the image data
 * into exactly the bytes the header's dimensions need — never more, however far a malicious stream would inflate
 * (a "decompression bomb": a few KB that inflate to gigabytes).
 */
import { Unzlib } from "fflate";
import type { PngHeader } from "./header";

export interface PngChunks {
  /** The IDAT chunks' bodies, in order: one zlib stream. */
  idat: Uint8Array[];
  /** PLTE entries as [r, g, b], with tRNS alpha appended as a fourth value when present. */
  palette?: number[][];
  /** tRNS of a grey ([grey]) or RGB ([r, g, b]) image: the colour that is fully transparent, at sample depth. */
  transparency?: number[];
}

/** Samples per pixel by colour type (PNG spec §11.2.2): grey, RGB, palette index, grey + alpha, RGBA. */
export const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Pass origins and steps of Adam7 interlacing, PNG spec §8.2; a non-interlaced image is one pass. */
export const ADAM7_PASSES = [
  { x: 0, y: 0, dx: 8, dy: 8 },
  { x: 4, y: 0, dx: 8, dy: 8 },
  { x: 0, y: 4, dx: 4, dy: 8 },
  { x: 2, y: 0, dx: 4, dy: 4 },
  { x: 0, y: 2, dx: 2, dy: 4 },
  { x: 1, y: 0, dx: 2, dy: 2 },
  { x: 0, y: 1, dx: 1, dy: 2 },
] as const;
export const SINGLE_PASS = [{ x: 0, y: 0, dx: 1, dy: 1 }] as const;

export type Pass = (typeof ADAM7_PASSES)[number] | (typeof SINGLE_PASS)[number];

/** Compressed bytes handed to the inflater at a time: what one call can inflate to is at most ~1032 times this. */
const INFLATE_SLICE = 4096;

export function readPngChunks(bytes: Uint8Array, header: PngHeader): PngChunks {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let palette: number[][] | undefined;
  let alphas: Uint8Array | undefined;
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw new Error(`the PNG chunk ${type} is truncated`);
    if (type === "IDAT") idat.push(body);
    else if (type === "PLTE")
      palette = Array.from({ length: Math.floor(length / 3) }, (_, i) => [
        body[i * 3]!,
        body[i * 3 + 1]!,
        body[i * 3 + 2]!,
      ]);
    else if (type === "tRNS") alphas = body;
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  if (idat.length === 0) throw new Error("the PNG image has no image data (IDAT)");
  if (header.colorType === 3) {
    if (!palette) throw new Error("the PNG image has no palette (PLTE)");
    if (alphas) palette = palette.map((entry, i) => [...entry, alphas![i] ?? 255]);
    return { idat, palette };
  }
  const keyLength = header.colorType === 0 ? 1 : header.colorType === 2 ? 3 : 0;
  const keyed = alphas && keyLength > 0 && alphas.length >= keyLength * 2;
  const transparency = keyed
    ? Array.from({ length: keyLength }, (_, i) => (alphas![i * 2]! << 8) | alphas![i * 2 + 1]!)
    : undefined;
  return { idat, transparency };
}

export function passesOf(header: PngHeader): readonly Pass[] {
  return header.interlaced ? ADAM7_PASSES : SINGLE_PASS;
}

/** A pass's size in pixels (0 when the image is too small to have pixels in it). */
export function passSize(header: PngHeader, pass: Pass): { width: number; height: number } {
  const width = Math.max(0, Math.ceil((header.width - pass.x) / pass.dx));
  const height = Math.max(0, Math.ceil((header.height - pass.y) / pass.dy));
  return width > 0 && height > 0 ? { width, height } : { width: 0, height: 0 };
}

/** Bytes of one row of a pass without its filter byte. */
export function rowBytes(header: PngHeader, width: number): number {
  return Math.ceil((width * header.bitDepth * CHANNELS[header.colorType]!) / 8);
}

/** Bytes the inflated image data has: a filter byte plus the packed samples for each row of each pass. */
export function inflatedBytes(header: PngHeader): number {
  return passesOf(header).reduce((sum, pass) => {
    const { width, height } = passSize(header, pass);
    return sum + (height > 0 ? height * (1 + rowBytes(header, width)) : 0);
  }, 0);
}

/**
 * Inflates the image data into a buffer of exactly `size` bytes. Feeding the inflater small slices keeps what it
 * holds at once small, and the first byte past `size` stops it.
 * @throws Error when the data is not zlib, inflates to more than `size` bytes, or to fewer
 */
export function inflateImageData(idat: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  const inflater = new Unzlib((chunk) => {
    if (filled + chunk.length > size)
      throw new Error(`the PNG image data inflates past the ${size} bytes its dimensions need`);
    out.set(chunk, filled);
    filled += chunk.length;
  });
  const total = idat.reduce((sum, part) => sum + part.length, 0);
  let pushed = 0;
  for (const part of idat) {
    for (let at = 0; at < part.length; at += INFLATE_SLICE) {
      const slice = part.subarray(at, at + INFLATE_SLICE);
      pushed += slice.length;
      inflater.push(slice, pushed === total);
    }
  }
  if (filled < size) throw new Error(`the PNG image data is truncated: ${filled} of ${size} bytes`);
  return out;
}
