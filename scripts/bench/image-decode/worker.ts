/**
 * Benchmark Worker: times the image modules of src/media/image inside workerd on a POSTed PNG/JPEG, `n` times each:
 * decoding to RGBA (for a JPEG also with jpeg-js, the previous decoder), a bilinear resize to 224x224 and an area
 * resize to 28x28. Bundled and run by scripts/bench/images.ts.
 */
import decodeWithJpegJs from "jpeg-js/lib/decoder.js";
import { decodeImage, imageInfo } from "../../../src/media/image/decode";
import { resizeArea, resizeBilinear } from "../../../src/media/image/resize";

const MAX_PIXELS = 4 * 1024 * 1024;

/** The answer: the image's size and each step's times in milliseconds (`jpegJs` for JPEGs only). */
export interface DecodeTimings {
  width: number;
  height: number;
  decode: number[];
  jpegJs?: number[];
  bilinear224: number[];
  area28: number[];
}

function timed<T>(iterations: number, run: () => T): { times: number[]; result: T } {
  const times: number[] = [];
  let result = run();
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    result = run();
    times.push(performance.now() - started);
  }
  return { times, result };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const iterations = Number(new URL(request.url).searchParams.get("n") ?? "20");
    const bytes = new Uint8Array(await request.arrayBuffer());
    const decode = timed(iterations, () => decodeImage(bytes, MAX_PIXELS));
    const image = decode.result;
    const jpegJs =
      imageInfo(bytes).format === "jpeg"
        ? timed(iterations, () => decodeWithJpegJs(bytes, { useTArray: true, formatAsRGBA: true })).times
        : undefined;
    const bilinear224 = timed(iterations, () => resizeBilinear(image, 224, 224));
    const area28 = timed(iterations, () => resizeArea(image, 28, 28));
    return Response.json({
      width: image.width,
      height: image.height,
      decode: decode.times,
      jpegJs,
      bilinear224: bilinear224.times,
      area28: area28.times,
    } satisfies DecodeTimings);
  },
};
