/**
 * PNG → 8-bit RGBA (PNG spec, W3C 2003): every colour type and bit depth, palettes, tRNS transparency, Adam7
 * interlacing. The image data is inflated by fflate into exactly the size the header implies (./png-chunks.ts),
 * rows are unfiltered in place (§9), samples unpacked and converted: 16-bit samples keep their high byte (as libpng's
 * strip_16 and sharp do), 1/2/4-bit greys scale to 0..255 exactly (×255, ×85, ×17). APNG files give their default
 * image. Ancillary chunks (gAMA, iCCP, eXIf) are ignored; CRCs are not checked (zlib's structure catches most damage).
 */
import type { PngHeader } from "./header";
import {
  CHANNELS,
  inflatedBytes,
  inflateImageData,
  type Pass,
  passesOf,
  passSize,
  readPngChunks,
  rowBytes,
} from "./png-chunks";
import type { RgbaImage } from "./rgba";

/** A decoded PNG with one array element per sample (sub-byte samples unpacked), before conversion to RGBA. */
export interface PngSamples {
  width: number;
  height: number;
  depth: number;
  /** 1 grey or palette index, 2 grey + alpha, 3 RGB, 4 RGBA */
  channels: number;
  samples: Uint8Array | Uint16Array;
  /** Palette entries as [r, g, b] or [r, g, b, a]; present for colour type 3. */
  palette?: readonly (readonly number[])[];
  /** tRNS of a grey ([grey]) or RGB ([r, g, b]) image: the one colour that is fully transparent, at sample depth. */
  transparency?: ArrayLike<number>;
}

/** Decodes a PNG whose header has already been checked against the pixel limit. Throws plain errors when broken. */
export function decodePng(bytes: Uint8Array, header: PngHeader): RgbaImage {
  const chunks = readPngChunks(bytes, header);
  const stream = inflateImageData(chunks.idat, inflatedBytes(header));
  const channels = CHANNELS[header.colorType]!;
  const pixels = header.width * header.height;
  const samples = header.bitDepth === 16 ? new Uint16Array(pixels * channels) : new Uint8Array(pixels * channels);
  let offset = 0;
  for (const pass of passesOf(header)) offset = readPass(stream, offset, header, pass, samples);
  const { width, height, bitDepth: depth } = header;
  return pngSamplesToRgba({
    width,
    height,
    depth,
    channels,
    samples,
    palette: chunks.palette,
    transparency: chunks.transparency,
  });
}

/** Unfilters one pass's rows in place and unpacks its samples into their pixels; returns the offset after it. */
function readPass(
  stream: Uint8Array,
  start: number,
  header: PngHeader,
  pass: Pass,
  samples: Uint8Array | Uint16Array,
): number {
  const { width, height } = passSize(header, pass);
  if (height === 0) return start;
  const channels = CHANNELS[header.colorType]!;
  const depth = header.bitDepth;
  const length = rowBytes(header, width);
  // the filters' "previous pixel" is this many bytes back (1 for sub-byte samples), §9.2
  const step = Math.max(1, (depth * channels) >> 3);
  const mask = (1 << depth) - 1;
  let previous: Uint8Array | undefined;
  for (let row = 0; row < height; row++) {
    const at = start + row * (length + 1);
    const line = stream.subarray(at + 1, at + 1 + length);
    unfilter(stream[at]!, line, previous, step);
    previous = line;
    const y = pass.y + row * pass.dy;
    if (depth === 8 && pass.dx === 1) {
      samples.set(line, y * header.width * channels);
      continue;
    }
    for (let column = 0; column < width; column++) {
      const target = (y * header.width + pass.x + column * pass.dx) * channels;
      for (let c = 0; c < channels; c++) {
        const index = column * channels + c;
        if (depth === 16) samples[target + c] = (line[index * 2]! << 8) | line[index * 2 + 1]!;
        else if (depth === 8) samples[target + c] = line[index]!;
        else {
          const bit = index * depth;
          samples[target + c] = (line[bit >> 3]! >> (8 - depth - (bit & 7))) & mask;
        }
      }
    }
  }
  return start + height * (length + 1);
}

/** Reverses one row's filter in place (PNG spec §9.2); typed-array stores wrap modulo 256. */
function unfilter(type: number, line: Uint8Array, previous: Uint8Array | undefined, step: number): void {
  const n = line.length;
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = step; i < n; i++) line[i] = line[i]! + line[i - step]!;
      return;
    case 2:
      if (previous) for (let i = 0; i < n; i++) line[i] = line[i]! + previous[i]!;
      return;
    case 3:
      for (let i = 0; i < n; i++)
        line[i] = line[i]! + (((i >= step ? line[i - step]! : 0) + (previous ? previous[i]! : 0)) >> 1);
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const left = i >= step ? line[i - step]! : 0;
        const up = previous ? previous[i]! : 0;
        const upLeft = previous && i >= step ? previous[i - step]! : 0;
        line[i] = line[i]! + paeth(left, up, upLeft);
      }
      return;
    default:
      throw new Error(`the PNG image has an unknown row filter ${type}`);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
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
  const to8 =
    depth === 16
      ? (v: number) => v >> 8
      : depth === 8
        ? (v: number) => v
        : (v: number) => (v * 255) / ((1 << depth) - 1);
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
