/**
 * Adam7-interlaced PNGs with 1, 2 or 4 bits per sample (grey or palette), which fast-png 8.0.0 cannot de-interlace
 * (it treats each sample as a byte). Inflates the IDAT stream into a buffer of exactly the size the header implies,
 * undoes each pass's row filters (PNG spec §9; at these depths a filter's "previous pixel" is the previous byte)
 * and unpacks the samples into place.
 */
import { unzlibSync } from "fflate";
import type { PngHeader } from "./header";
import type { PngSamples } from "./png";
import { ADAM7_PASSES, inflatedBytes, type PngChunks } from "./png-chunks";

export function decodeLowDepthAdam7(header: PngHeader, chunks: PngChunks): PngSamples {
  const { width, height, bitDepth: depth } = header;
  const compressed = new Uint8Array(chunks.idat.reduce((sum, part) => sum + part.length, 0));
  chunks.idat.reduce((at, part) => (compressed.set(part, at), at + part.length), 0);
  // a fixed output buffer: fflate stops writing at its end, so the stream cannot inflate past it
  const expected = inflatedBytes(header);
  const stream = unzlibSync(compressed, { out: new Uint8Array(expected) });
  if (stream.length < expected) throw new Error("the PNG image data is truncated");
  const samples = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  let offset = 0;
  for (const pass of ADAM7_PASSES) {
    const passWidth = Math.ceil((width - pass.x) / pass.dx);
    const passHeight = Math.ceil((height - pass.y) / pass.dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    const rowBytes = Math.ceil((passWidth * depth) / 8);
    let previous: Uint8Array = new Uint8Array(rowBytes);
    for (let row = 0; row < passHeight; row++) {
      const line = unfilter(stream[offset]!, stream.subarray(offset + 1, offset + 1 + rowBytes), previous);
      offset += 1 + rowBytes;
      const y = pass.y + row * pass.dy;
      for (let column = 0; column < passWidth; column++) {
        const bit = column * depth;
        samples[y * width + pass.x + column * pass.dx] = (line[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
      }
      previous = line;
    }
  }
  return { width, height, depth, channels: 1, samples, palette: chunks.palette, transparency: chunks.transparency };
}

/** Reverses one row's filter (PNG spec §9.2) with one byte per "pixel". */
function unfilter(type: number, line: Uint8Array, previous: Uint8Array): Uint8Array {
  if (type > 4) throw new Error(`the PNG image has an unknown row filter ${type}`);
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) {
    const left = i > 0 ? out[i - 1]! : 0;
    const up = previous[i]!;
    const upLeft = i > 0 ? previous[i - 1]! : 0;
    const predictor = type === 0 ? 0 : type === 1 ? left : type === 2 ? up : type === 3 ? (left + up) >> 1 : paeth(left, up, upLeft);
    out[i] = (line[i]! + predictor) & 0xff;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
