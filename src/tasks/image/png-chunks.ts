/**
 * The PNG chunk layer (PNG spec §5): the compressed image data, palette and transparency, and a check that the
 * image data does not inflate past what the header's dimensions need. fast-png inflates without a bound, so a
 * small file that passes the pixel limit could still inflate to gigabytes (a "decompression bomb") without it.
 */
import { Unzlib } from "fflate";
import type { PngHeader } from "./header";

export interface PngChunks {
  /** The IDAT chunks' bodies, in order: one zlib stream. */
  idat: Uint8Array[];
  /** PLTE entries as [r, g, b], with tRNS alpha appended as a fourth value when present. */
  palette?: number[][];
  /** tRNS of a grey ([grey]) or RGB ([r, g, b]) image, at sample depth. */
  transparency?: number[];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Pass origins and steps of Adam7 interlacing, PNG spec §8.2. */
export const ADAM7_PASSES = [
  { x: 0, y: 0, dx: 8, dy: 8 },
  { x: 4, y: 0, dx: 8, dy: 8 },
  { x: 0, y: 4, dx: 4, dy: 8 },
  { x: 2, y: 0, dx: 4, dy: 4 },
  { x: 0, y: 2, dx: 2, dy: 4 },
  { x: 1, y: 0, dx: 2, dy: 2 },
  { x: 0, y: 1, dx: 1, dy: 2 },
] as const;

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
    else if (type === "PLTE") palette = Array.from({ length: Math.floor(length / 3) }, (_, i) => [body[i * 3]!, body[i * 3 + 1]!, body[i * 3 + 2]!]);
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
  const transparency =
    alphas && keyLength > 0 && alphas.length >= keyLength * 2 ? Array.from({ length: keyLength }, (_, i) => (alphas![i * 2]! << 8) | alphas![i * 2 + 1]!) : undefined;
  return { idat, transparency };
}

/** Bytes the inflated image data has: a filter byte plus the packed samples for each row (of each pass). */
export function inflatedBytes(header: PngHeader): number {
  const bitsPerPixel = header.bitDepth * CHANNELS[header.colorType]!;
  const rows = (width: number, height: number) => (width > 0 && height > 0 ? height * (1 + Math.ceil((width * bitsPerPixel) / 8)) : 0);
  if (!header.interlaced) return rows(header.width, header.height);
  return ADAM7_PASSES.reduce((sum, pass) => sum + rows(Math.ceil((header.width - pass.x) / pass.dx), Math.ceil((header.height - pass.y) / pass.dy)), 0);
}

/** Inflates the image data without keeping it, and throws as soon as it grows past `maxBytes`. */
export function assertInflatesWithin(idat: readonly Uint8Array[], maxBytes: number): void {
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new Error(`the PNG image data inflates past the ${maxBytes} bytes its dimensions need`);
  });
  idat.forEach((part, index) => inflater.push(part, index === idat.length - 1));
}
