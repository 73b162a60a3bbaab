/**
 * The Node side of the image tests (reached through the REFERENCE binding, `/image/...`):
 * - `GET /image/samples`: PNG and JPEG files of every kind the decoder must handle, made by sharp (libvips) and, for
 *   what sharp cannot write (1/2/4-bit grey, tRNS colour keys), by the small PNG writer below;
 * - `POST /image/decode` `{base64}`: the image decoded by sharp (libspng / mozjpeg, EXIF orientation applied) as RGBA;
 * - `POST /image/classify` `{model?: {file}, images: [base64], preprocess}`: an independent implementation of the
 *   image-classification preprocessing (sharp decode, straightforward per-pixel resize/fit/tensor code written from the spec,
 *   not from src/media/image: 2-D coverage sums and 4-tap bilinear in float64, where the server runs separable
 *   passes), run with onnxruntime-node, softmax: `{tensor: WireTensor, scores: number[][]}`.
 */
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { photoLike } from "../../scripts/lib/photo-like.ts";
import type { WireTensor } from "../support/wire";

type Run = (body: {
  model: { file: string };
  inputs: Record<string, WireTensor>;
  outputs?: string[];
}) => Promise<{ outputs: Record<string, WireTensor> }>;

export async function imageReference(request: Request, url: URL, run: Run): Promise<Response> {
  if (url.pathname === "/image/samples") return Response.json(await samples());
  if (url.pathname === "/image/decode" && request.method === "POST") {
    const { base64 } = (await request.json()) as { base64: string };
    const { data, width, height } = await sharpRgba(Buffer.from(base64, "base64"));
    return Response.json({ width, height, base64: Buffer.from(data).toString("base64") });
  }
  if (url.pathname === "/image/classify" && request.method === "POST")
    return Response.json(await classify((await request.json()) as ClassifyRequest, run));
  return new Response("not found", { status: 404 });
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Resampled pixels keep unrounded levels (the server quantizes only when decoding). */
interface Levels {
  width: number;
  height: number;
  data: Float64Array;
}

async function sharpRgba(bytes: Buffer): Promise<Rgba> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .toColourspace("srgb")
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

// ---------------------------------------------------------------------------------------------------------------
// Sample files

export interface Sample {
  name: string;
  base64: string;
  /** Largest per-channel difference allowed against sharp's decoding (0: exact). */
  tolerance: number;
  /** Largest mean absolute difference allowed. */
  meanTolerance: number;
}

async function samples(): Promise<Sample[]> {
  const W = 37;
  const H = 23;
  const rgb = photoLike(W, H, 7);
  const rgba = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
    rgba[i * 4 + 3] = (i * 29) % 256;
  }
  const grey = Buffer.from(Array.from({ length: W * H }, (_, i) => rgb[i * 3 + 1]!));
  const greyAlpha = Buffer.from(Array.from({ length: W * H * 2 }, (_, i) => (i % 2 ? (i * 13) % 256 : grey[i >> 1]!)));
  const raw = (data: Buffer | Uint16Array, channels: 1 | 2 | 3 | 4) =>
    sharp(data, { raw: { width: W, height: H, channels } });
  const wide = (data: Buffer, bits: number) =>
    new Uint16Array(data.length).map((_, i) => data[i]! * 257 + ((i * 31) % 257) * (bits === 16 ? 1 : 0));
  const list: Sample[] = [];
  const exact = (name: string, bytes: Buffer) =>
    list.push({ name, base64: bytes.toString("base64"), tolerance: 0, meanTolerance: 0 });
  const lossy = (name: string, bytes: Buffer, tolerance: number, meanTolerance: number) =>
    list.push({ name, base64: bytes.toString("base64"), tolerance, meanTolerance });
  for (const progressive of [false, true]) {
    const tag = progressive ? " interlaced" : "";
    exact(`png rgb 8-bit${tag}`, await raw(rgb, 3).png({ progressive }).toBuffer());
    exact(`png rgba 8-bit${tag}`, await raw(rgba, 4).png({ progressive }).toBuffer());
    exact(`png grey 8-bit${tag}`, await raw(grey, 1).png({ progressive }).toBuffer());
    exact(`png grey+alpha 8-bit${tag}`, await raw(greyAlpha, 2).png({ progressive }).toBuffer());
    exact(`png rgb 16-bit${tag}`, await raw(wide(rgb, 16), 3).toColourspace("rgb16").png({ progressive }).toBuffer());
    exact(`png rgba 16-bit${tag}`, await raw(wide(rgba, 16), 4).toColourspace("rgb16").png({ progressive }).toBuffer());
    exact(
      `png grey 16-bit${tag}`,
      await raw(wide(grey, 16), 1).toColourspace("grey16").png({ progressive }).toBuffer(),
    );
    for (const bitdepth of [1, 2, 4, 8] as const) {
      exact(
        `png palette ${bitdepth}-bit${tag}`,
        await raw(rgb, 3)
          .png({ palette: true, colours: 2 ** bitdepth, progressive, dither: 0 })
          .toBuffer(),
      );
      exact(
        `png palette ${bitdepth}-bit with alpha${tag}`,
        await raw(rgba, 4)
          .png({ palette: true, colours: 2 ** bitdepth, progressive, dither: 0 })
          .toBuffer(),
      );
    }
    for (const depth of [1, 2, 4, 8, 16]) {
      const levels = 2 ** depth;
      const samples = Uint16Array.from(grey, (v) => Math.floor((v * levels) / 256));
      exact(
        `png grey ${depth}-bit with tRNS${tag}`,
        writePng({
          width: W,
          height: H,
          colorType: 0,
          depth,
          samples,
          transparent: [samples[5]!],
          interlaced: progressive,
        }),
      );
    }
    const rgbSamples = Uint16Array.from(rgb);
    exact(
      `png rgb 8-bit with tRNS${tag}`,
      writePng({
        width: W,
        height: H,
        colorType: 2,
        depth: 8,
        samples: rgbSamples,
        transparent: [rgb[30]!, rgb[31]!, rgb[32]!],
        interlaced: progressive,
      }),
    );
    const photo = photoLike(160, 120, 3);
    const photoRaw = sharp(photo, { raw: { width: 160, height: 120, channels: 3 } });
    // JPEG: the Worker decodes grey and YCbCr files with libjpeg-turbo (WASM), as sharp does: the same pixels
    exact(
      `jpeg 4:4:4 q92${tag}`,
      await photoRaw.clone().jpeg({ quality: 92, chromaSubsampling: "4:4:4", progressive }).toBuffer(),
    );
    exact(`jpeg 4:2:0 q85${tag}`, await photoRaw.clone().jpeg({ quality: 85, progressive }).toBuffer());
    exact(`jpeg grey q90${tag}`, await photoRaw.clone().greyscale().jpeg({ quality: 90, progressive }).toBuffer());
    // CMYK goes to jpeg-js; libvips converts CMYK through an ICC profile, jpeg-js with the plain formula
    lossy(
      `jpeg cmyk q95${tag}`,
      await photoRaw.clone().toColourspace("cmyk").jpeg({ quality: 95, progressive }).toBuffer(),
      160,
      30,
    );
  }
  for (let orientation = 2; orientation <= 8; orientation++) {
    const bytes = await sharp(photoLike(40, 24, 5), { raw: { width: 40, height: 24, channels: 3 } })
      .withMetadata({ orientation })
      .jpeg({ quality: 95, chromaSubsampling: "4:4:4" })
      .toBuffer();
    exact(`jpeg exif orientation ${orientation}`, bytes);
  }
  return list;
}

interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2;
  depth: number;
  /** One value per sample, unpacked. */
  samples: Uint16Array;
  transparent?: number[];
  interlaced: boolean;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** A PNG with filter type 0 on every row: just enough of an encoder for the kinds sharp does not write. */
function writePng(spec: PngSpec): Buffer {
  const channels = spec.colorType === 0 ? 1 : 3;
  const rows: number[] = [];
  const writeRows = (xs: number[], ys: number[]) => {
    for (const y of ys) {
      rows.push(0);
      let acc = 0;
      let bits = 0;
      for (const x of xs) {
        for (let c = 0; c < channels; c++) {
          const value = spec.samples[(y * spec.width + x) * channels + c]!;
          if (spec.depth === 16) rows.push(value >> 8, value & 255);
          else if (spec.depth === 8) rows.push(value);
          else {
            acc = (acc << spec.depth) | value;
            bits += spec.depth;
            if (bits === 8) rows.push(acc), (acc = 0), (bits = 0);
          }
        }
      }
      if (bits > 0) rows.push(acc << (8 - bits));
    }
  };
  const range = (from: number, to: number, step: number) =>
    Array.from({ length: Math.max(0, Math.ceil((to - from) / step)) }, (_, i) => from + i * step);
  if (!spec.interlaced) writeRows(range(0, spec.width, 1), range(0, spec.height, 1));
  else
    for (const [x0, y0, dx, dy] of ADAM7) {
      const xs = range(x0, spec.width, dx);
      const ys = range(y0, spec.height, dy);
      if (xs.length > 0 && ys.length > 0) writeRows(xs, ys);
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const chunks = [chunk("IHDR", ihdr)];
  if (spec.transparent) {
    const trns = Buffer.alloc(spec.transparent.length * 2);
    spec.transparent.forEach((value, i) => trns.writeUInt16BE(value, i * 2));
    chunks.push(chunk("tRNS", trns));
  }
  chunks.push(chunk("IDAT", deflateSync(Buffer.from(rows))), chunk("IEND", Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Reference preprocessing + onnxruntime-node

interface ClassifyRequest {
  /** Without a model, only the tensor is made. */
  model?: { file: string };
  input: string;
  output: string;
  images: string[];
  preprocess: {
    width: number;
    height: number;
    fit: "stretch" | "contain" | "cover";
    padding: "edge" | number[];
    resize: "bilinear" | "area" | "auto";
    background: number[];
    channels: "rgb" | "bgr" | "gray";
    layout: "nchw" | "nhwc";
    scale: number;
    mean: number[];
    std: number[];
    invert: boolean | "auto";
  };
}

async function classify(body: ClassifyRequest, run: Run): Promise<{ tensor: WireTensor; scores?: number[][] }> {
  const p = body.preprocess;
  const channels = p.channels === "gray" ? 1 : 3;
  const per = channels * p.width * p.height;
  const tensor = new Float32Array(per * body.images.length);
  for (const [n, base64] of body.images.entries()) {
    const bytes = Buffer.from(base64, "base64");
    const decoded = await sharpRgba(bytes);
    const fitted = fit(flatten(decoded, p.background), p);
    const value = (x: number, y: number, c: number) => {
      const i = (y * p.width + x) * 4;
      const [r, g, b] = [fitted.data[i]!, fitted.data[i + 1]!, fitted.data[i + 2]!];
      return p.channels === "gray"
        ? 0.299 * r + 0.587 * g + 0.114 * b
        : p.channels === "rgb"
          ? [r, g, b][c]!
          : [b, g, r][c]!;
    };
    let invert = p.invert === true;
    if (p.invert === "auto") {
      let sum = 0;
      let count = 0;
      for (let y = 0; y < p.height; y++)
        for (let x = 0; x < p.width; x++) {
          if (x === 0 || y === 0 || x === p.width - 1 || y === p.height - 1) (sum += value(x, y, 0)), count++;
        }
      invert = sum / count > 127.5;
    }
    for (let y = 0; y < p.height; y++)
      for (let x = 0; x < p.width; x++)
        for (let c = 0; c < channels; c++) {
          const level = invert ? 255 - value(x, y, c) : value(x, y, c);
          const normalized =
            (level * p.scale - p.mean[p.mean.length === 1 ? 0 : c]!) / p.std[p.std.length === 1 ? 0 : c]!;
          const at = p.layout === "nchw" ? (c * p.height + y) * p.width + x : (y * p.width + x) * channels + c;
          tensor[n * per + at] = normalized;
        }
  }
  const shape =
    p.layout === "nchw"
      ? [body.images.length, channels, p.height, p.width]
      : [body.images.length, p.height, p.width, channels];
  const wire: WireTensor = { datatype: "FP32", shape, base64: Buffer.from(tensor.buffer).toString("base64") };
  if (!body.model) return { tensor: wire };
  const { outputs } = await run({ model: body.model, inputs: { [body.input]: wire }, outputs: [body.output] });
  const logits = new Float32Array(new Uint8Array(Buffer.from(outputs[body.output]!.base64, "base64")).buffer);
  const classes = logits.length / body.images.length;
  const scores = Array.from({ length: body.images.length }, (_, n) => {
    const row = Array.from(logits.subarray(n * classes, (n + 1) * classes));
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((v) => v / total);
  });
  return { tensor: wire, scores };
}

function flatten(image: Rgba, background: number[]): Rgba {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i += 4) {
    const a = image.data[i + 3]!;
    for (let c = 0; c < 3; c++) data[i + c] = Math.round((image.data[i + c]! * a + background[c]! * (255 - a)) / 255);
    data[i + 3] = 255;
  }
  return { ...image, data };
}

type Fit = ClassifyRequest["preprocess"];

function fit(image: Rgba, p: Fit): Levels {
  if (p.fit === "stretch") return resample(image, 0, 0, image.width, image.height, p.width, p.height, p.resize);
  if (p.fit === "cover") {
    const s = Math.max(p.width / image.width, p.height / image.height);
    const w = Math.min(image.width, Math.max(1, Math.round(p.width / s)));
    const h = Math.min(image.height, Math.max(1, Math.round(p.height / s)));
    return resample(
      image,
      Math.floor((image.width - w) / 2),
      Math.floor((image.height - h) / 2),
      w,
      h,
      p.width,
      p.height,
      p.resize,
    );
  }
  const s = Math.min(p.width / image.width, p.height / image.height);
  const w = Math.min(p.width, Math.max(1, Math.round(image.width * s)));
  const h = Math.min(p.height, Math.max(1, Math.round(image.height * s)));
  const inner = resample(image, 0, 0, image.width, image.height, w, h, p.resize);
  const left = Math.floor((p.width - w) / 2);
  const top = Math.floor((p.height - h) / 2);
  const data = new Float64Array(p.width * p.height * 4);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++) {
      const sx = x - left;
      const sy = y - top;
      const inside = sx >= 0 && sy >= 0 && sx < w && sy < h;
      for (let c = 0; c < 4; c++) {
        if (inside) data[(y * p.width + x) * 4 + c] = inner.data[(sy * w + sx) * 4 + c]!;
        else if (p.padding === "edge") {
          const cx = Math.min(Math.max(sx, 0), w - 1);
          const cy = Math.min(Math.max(sy, 0), h - 1);
          data[(y * p.width + x) * 4 + c] = inner.data[(cy * w + cx) * 4 + c]!;
        } else data[(y * p.width + x) * 4 + c] = c === 3 ? 255 : p.padding[c]!;
      }
    }
  return { width: p.width, height: p.height, data };
}

/** Resamples the region (x0, y0, w, h) of `image` to outW×outH: each output pixel computed on its own, in 2-D. */
function resample(
  image: Rgba,
  x0: number,
  y0: number,
  w: number,
  h: number,
  outW: number,
  outH: number,
  method: Fit["resize"],
): Levels {
  const area = method === "area" || (method === "auto" && outW <= w && outH <= h);
  const data = new Float64Array(outW * outH * 4);
  const at = (x: number, y: number, c: number) => image.data[((y0 + y) * image.width + x0 + x) * 4 + c]!;
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let c = 0; c < 4; c++) {
        let value: number;
        if (w === outW && h === outH) value = at(ox, oy, c);
        else if (area) {
          // the box [ox, ox + 1) × [oy, oy + 1) in output space covers [ax0, ax1) × [ay0, ay1) of the source
          const [ax0, ax1] = [(ox * w) / outW, Math.min(((ox + 1) * w) / outW, w)];
          const [ay0, ay1] = [(oy * h) / outH, Math.min(((oy + 1) * h) / outH, h)];
          let sum = 0;
          for (let y = Math.floor(ay0); y < Math.ceil(ay1); y++)
            for (let x = Math.floor(ax0); x < Math.ceil(ax1); x++) {
              const cover = (Math.min(x + 1, ax1) - Math.max(x, ax0)) * (Math.min(y + 1, ay1) - Math.max(y, ay0));
              sum += at(x, y, c) * cover;
            }
          value = sum / ((ax1 - ax0) * (ay1 - ay0));
        } else {
          const sx = Math.min(Math.max(((ox + 0.5) * w) / outW - 0.5, 0), w - 1);
          const sy = Math.min(Math.max(((oy + 0.5) * h) / outH - 0.5, 0), h - 1);
          const [xa, ya] = [Math.floor(sx), Math.floor(sy)];
          const [xb, yb] = [Math.min(xa + 1, w - 1), Math.min(ya + 1, h - 1)];
          const [fx, fy] = [sx - xa, sy - ya];
          value =
            at(xa, ya, c) * (1 - fx) * (1 - fy) +
            at(xb, ya, c) * fx * (1 - fy) +
            at(xa, yb, c) * (1 - fx) * fy +
            at(xb, yb, c) * fx * fy;
        }
        data[(oy * outW + ox) * 4 + c] = value;
      }
  return { width: outW, height: outH, data };
}
