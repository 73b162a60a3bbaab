/**
 * PNG → 8-bit RGBA with fast-png (pure JavaScript, inflates with fflate): every colour type and bit depth, palettes,
 * tRNS transparency, Adam7 interlacing. 16-bit samples keep their high byte (as libpng's strip_16 and sharp do);
 * 1/2/4-bit greys scale to 0..255 exactly (×255, ×85, ×17). APNG files give their default image.
 */
import { decode as decodeWithFastPng } from "fast-png";
import type { RgbaImage } from "./rgba";
import type { PngHeader } from "./header";
import { decodeLowDepthAdam7 } from "./png-adam7";
import { assertInflatesWithin, inflatedBytes, readPngChunks } from "./png-chunks";

/** A decoded PNG with one array element per sample (sub-byte samples unpacked), before conversion to RGBA. */
export interface PngSamples {
  width: number;
  height: number;
  depth: number;
  /** 1 grey or palette index, 2 grey + alpha, 3 RGB, 4 RGBA */
  channels: number;
  samples: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** Palette entries as [r, g, b] or [r, g, b, a]; present for colour type 3. */
  palette?: readonly (readonly number[])[];
  /** tRNS of a grey ([grey]) or RGB ([r, g, b]) image: the one colour that is fully transparent, at sample depth. */
  transparency?: ArrayLike<number>;
}

/** Decodes a PNG whose header has already been checked against the pixel limit. Throws plain errors when broken. */
export function decodePng(bytes: Uint8Array, header: PngHeader): RgbaImage {
  const chunks = readPngChunks(bytes, header);
  // fast-png 8.0.0 de-interlaces 1/2/4-bit images as if each sample were a byte and fails on them
  if (header.interlaced && header.bitDepth < 8) return pngSamplesToRgba(decodeLowDepthAdam7(header, chunks));
  assertInflatesWithin(chunks.idat, inflatedBytes(header));
  const png = decodeWithFastPng(bytes);
  const samples = png.depth < 8 ? unpackRows(png.data as Uint8Array, png.width, png.height, png.depth) : png.data;
  const transparency = png.palette ? undefined : png.transparency;
  return pngSamplesToRgba({ width: png.width, height: png.height, depth: png.depth, channels: png.channels, samples, palette: png.palette, transparency });
}

/** One byte per sample from rows of packed 1/2/4-bit samples (each row starts on a byte boundary). */
export function unpackRows(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (packed[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

export function pngSamplesToRgba(png: PngSamples): RgbaImage {
  const { width, height, depth, channels, samples } = png;
  const pixels = width * height;
  const data = new Uint8Array(pixels * 4);
  if (png.palette) {
    // whole RGBA entries copied as 32-bit words (the byte order is the same in both views)
    const lookup = new Uint32Array(paletteLookup(png.palette).buffer);
    const words = new Uint32Array(data.buffer);
    for (let i = 0; i < pixels; i++) words[i] = lookup[samples[i]!]!;
    return { width, height, data };
  }
  if (depth === 8 && channels === 4) {
    data.set(samples);
    return { width, height, data };
  }
  const to8 = depth === 16 ? (v: number) => v >> 8 : depth === 8 ? (v: number) => v : (v: number) => (v * 255) / ((1 << depth) - 1);
  const key = png.transparency;
  for (let i = 0, s = 0, o = 0; i < pixels; i++, s += channels, o += 4) {
    if (channels <= 2) {
      const grey = to8(samples[s]!);
      data[o] = data[o + 1] = data[o + 2] = grey;
      data[o + 3] = channels === 2 ? to8(samples[s + 1]!) : key && samples[s] === key[0] ? 0 : 255;
    } else {
      data[o] = to8(samples[s]!);
      data[o + 1] = to8(samples[s + 1]!);
      data[o + 2] = to8(samples[s + 2]!);
      const keyed = key && samples[s] === key[0] && samples[s + 1] === key[1] && samples[s + 2] === key[2];
      data[o + 3] = channels === 4 ? to8(samples[s + 3]!) : keyed ? 0 : 255;
    }
  }
  return { width, height, data };
}

/** 256 RGBA entries; indices past the palette's end are opaque black (as libpng and browsers show them). */
function paletteLookup(palette: readonly (readonly number[])[]): Uint8Array {
  const lookup = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r = 0, g = 0, b = 0, a = 255] = palette[i] ?? [];
    lookup.set([r, g, b, a], i * 4);
  }
  return lookup;
}
