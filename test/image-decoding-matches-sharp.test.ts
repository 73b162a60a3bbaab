/**
 * Image decoding inside workerd (src/media/image): PNG of every colour type and bit depth, palettes, tRNS and Adam7
 * interlacing decode to exactly the RGBA sharp (libspng) gives; so do JPEGs (baseline, progressive, 4:4:4, 4:2:0,
 * grey, EXIF orientations: libjpeg-turbo in WASM, as in sharp), except CMYK (jpeg-js, within its stated tolerance);
 * the pixel limit is checked from the
 * header before any decoding; broken files are `invalid_media`; resampling follows its definition.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "../src/errors";
import { decodeImage, imageInfo, type RgbaImage } from "../src/media/image/decode";
import { resizeArea, resizeBilinear } from "../src/media/image/resize";
import { fromBase64, reference, toBase64 } from "./support/worker";

const MAX_PIXELS = 4 * 1024 * 1024;

interface Sample {
  name: string;
  base64: string;
  tolerance: number;
  meanTolerance: number;
}

async function sharpDecode(bytes: Uint8Array): Promise<RgbaImage> {
  const response = await reference.fetch("http://reference/image/decode", {
    method: "POST",
    body: JSON.stringify({ base64: toBase64(bytes) }),
  });
  if (!response.ok) throw new Error(await response.text());
  const { width, height, base64 } = (await response.json()) as { width: number; height: number; base64: string };
  return { width, height, data: fromBase64(base64) };
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${error}`;
  }
  return undefined;
}

let samples: Sample[] = [];

beforeAll(async () => {
  samples = (await (await reference.fetch("http://reference/image/samples")).json()) as Sample[];
});

describe("decoded pixels equal sharp's", () => {
  it("for every sample kind", async () => {
    expect(samples.length).toBe(57);
    for (const sample of samples) {
      const bytes = fromBase64(sample.base64);
      const mine = decodeImage(bytes, MAX_PIXELS);
      const expected = await sharpDecode(bytes);
      expect([mine.width, mine.height], sample.name).toEqual([expected.width, expected.height]);
      expect(mine.data.length, sample.name).toBe(expected.width * expected.height * 4);
      let worst = 0;
      let total = 0;
      for (let i = 0; i < expected.data.length; i++) {
        const diff = Math.abs(mine.data[i]! - expected.data[i]!);
        worst = Math.max(worst, diff);
        total += diff;
      }
      expect(worst, `${sample.name}: largest difference`).toBeLessThanOrEqual(sample.tolerance);
      expect(total / expected.data.length, `${sample.name}: mean difference`).toBeLessThanOrEqual(sample.meanTolerance);
    }
  });

  it("covers exact PNGs and tolerant JPEGs, including interlaced low bit depths and rotations", () => {
    const names = samples.map((s) => s.name);
    expect(names).toContain("png palette 2-bit interlaced");
    expect(names).toContain("png grey 1-bit with tRNS interlaced");
    expect(names).toContain("jpeg exif orientation 6");
    expect(samples.filter((s) => s.name.startsWith("png")).every((s) => s.tolerance === 0)).toBe(true);
    expect(
      samples
        .filter((s) => s.name.startsWith("jpeg") && !s.name.includes("cmyk"))
        .every((s) => s.tolerance === 0 && s.meanTolerance === 0),
    ).toBe(true);
  });

  it("rotated JPEGs come out upright: orientation 6 swaps width and height", () => {
    const sample = samples.find((s) => s.name === "jpeg exif orientation 6")!;
    const bytes = fromBase64(sample.base64);
    expect(imageInfo(bytes)).toEqual({ format: "jpeg", width: 40, height: 24 });
    const image = decodeImage(bytes, MAX_PIXELS);
    expect([image.width, image.height]).toEqual([24, 40]);
  });
});

describe("limits and broken files", () => {
  const png = () => fromBase64(samples.find((s) => s.name === "png rgb 8-bit")!.base64);
  const jpeg = () => fromBase64(samples.find((s) => s.name === "jpeg 4:2:0 q85")!.base64);

  it("reads dimensions from the PNG IHDR and the JPEG SOF header", () => {
    expect(imageInfo(png())).toEqual({ format: "png", width: 37, height: 23 });
    expect(imageInfo(jpeg())).toEqual({ format: "jpeg", width: 160, height: 120 });
  });

  it("refuses too many pixels from the header alone (headers of huge images with no image data)", () => {
    const hugePng = png().slice(0, 33);
    new DataView(hugePng.buffer).setUint32(16, 50_000);
    new DataView(hugePng.buffer).setUint32(20, 50_000);
    expect(errorCode(() => decodeImage(hugePng, MAX_PIXELS))).toBe("too_many_pixels");
    // SOI, then a baseline SOF0 for 60000x60000, 3 components, and nothing else
    const hugeJpeg = Uint8Array.of(
      0xff,
      0xd8,
      0xff,
      0xc0,
      0,
      17,
      8,
      0xea,
      0x60,
      0xea,
      0x60,
      3,
      1,
      0x22,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1,
    );
    expect(imageInfo(hugeJpeg)).toEqual({ format: "jpeg", width: 60_000, height: 60_000 });
    expect(errorCode(() => decodeImage(hugeJpeg, MAX_PIXELS))).toBe("too_many_pixels");
    expect(errorCode(() => decodeImage(png(), 37 * 23 - 1))).toBe("too_many_pixels");
    expect(decodeImage(png(), 37 * 23).width).toBe(37);
  });

  it("calls anything undecodable invalid_media", () => {
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      text: new TextEncoder().encode("not an image at all"),
      gif: new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
      "png signature only": png().slice(0, 8),
      "png cut inside its image data": png().slice(0, 60),
      "png with garbage image data": (() => {
        const bytes = png();
        const idat = bytes.findIndex((_, i) => String.fromCharCode(...bytes.subarray(i, i + 4)) === "IDAT");
        bytes.fill(0x5a, idat + 4, idat + 40);
        return bytes;
      })(),
      "jpeg cut after its header": jpeg().slice(0, 200),
      "jpeg cut inside its scan data": jpeg().slice(0, jpeg().length - 400),
      "jpeg without a frame header": Uint8Array.of(0xff, 0xd8, 0xff, 0xd9),
      "jpeg with garbage scan data": (() => {
        const bytes = jpeg();
        bytes.fill(0xff, 700, 900);
        return bytes;
      })(),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      expect(
        errorCode(() => decodeImage(bytes, MAX_PIXELS)),
        name,
      ).toBe("invalid_media");
      // a failed decode leaves the decoder usable
      expect(decodeImage(jpeg(), MAX_PIXELS).width, `a good JPEG after: ${name}`).toBe(160);
    }
  });

  it("refuses a PNG whose image data inflates past what its size needs (a decompression bomb)", async () => {
    // a valid 16x16 grey PNG, then its IDAT replaced with 8 MB of zeros deflated (about 8 KB)
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const stream = new Blob([zeros]).stream().pipeThrough(new CompressionStream("deflate"));
    const idat = new Uint8Array(await new Response(stream).arrayBuffer());
    const header = png().slice(0, 33);
    header.set([0, 0, 0, 16, 0, 0, 0, 16, 8, 0, 0, 0, 0], 16);
    const chunk = new Uint8Array(12 + idat.length);
    new DataView(chunk.buffer).setUint32(0, idat.length);
    chunk.set(new TextEncoder().encode("IDAT"), 4);
    chunk.set(idat, 8);
    const iend = Uint8Array.of(0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82);
    const bomb = new Uint8Array([...header, ...chunk, ...iend]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(errorCode(() => decodeImage(bomb, MAX_PIXELS))).toBe("invalid_media");
  });
});

describe("resampling", () => {
  const grey = (width: number, height: number, values: number[]): RgbaImage => ({
    width,
    height,
    data: Uint8Array.from(values.flatMap((v) => [v, v, v, 255])),
  });
  const levels = (image: RgbaImage) => Array.from({ length: image.width * image.height }, (_, i) => image.data[i * 4]!);

  it("bilinear aligns pixel centres: [0, 255] → [0, 64, 191, 255]", () => {
    expect(levels(resizeBilinear(grey(2, 1, [0, 255]), 4, 1))).toEqual([0, 64, 191, 255]);
    expect(levels(resizeBilinear(grey(4, 1, [0, 100, 200, 255]), 2, 1))).toEqual([50, 228]);
  });

  it("area averages the covered pixels, partial ones by coverage", () => {
    expect(levels(resizeArea(grey(4, 2, [0, 100, 200, 255, 10, 20, 30, 40]), 2, 1))).toEqual([33, 131]);
    // 3 → 2: the first output covers pixel 0 fully and half of pixel 1
    expect(levels(resizeArea(grey(3, 1, [0, 90, 180]), 2, 1))).toEqual([30, 150]);
  });

  it("keeps a constant image constant, at every size", () => {
    const flat = grey(13, 7, Array(91).fill(77));
    for (const [w, h] of [
      [1, 1],
      [5, 3],
      [26, 14],
      [40, 9],
    ] as const) {
      expect(new Set(levels(resizeBilinear(flat, w, h)))).toEqual(new Set([77]));
      expect(new Set(levels(resizeArea(flat, w, h)))).toEqual(new Set([77]));
    }
  });
});
