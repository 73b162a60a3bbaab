/**
 * Image figures: decoding 640x480 photo-like PNG and JPEG files (and the 140x140 digit JPEG the tasks bench sends)
 * inside workerd with the Worker's decoders (src/media/image: PNG in JavaScript with fflate, JPEG with libjpeg-turbo in
 * WASM) and, for JPEGs, with jpeg-js (the previous JPEG decoder), against sharp (native libvips, one thread) in Node on
 * the same files; the resizes the image tasks run; and `POST /v1/run/mnist-digits` end to end for a small PNG and a
 * 640x480 JPEG.
 */
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { repoPath } from "../lib/bundled-models";
import { photoLike } from "../lib/photo-like";
import { startBenchWorker } from "../lib/worker-server";
import type { BenchContext } from "./context";
import type { DecodeTimings } from "./image-decode/worker";
import { ms, postTimed, ratio, sample, stageMeans, summarize, type Timing, table } from "./measure";

const WIDTH = 640;
const HEIGHT = 480;
const ITERATIONS = 30;

async function files(): Promise<[label: string, bytes: Buffer][]> {
  const raw = sharp(photoLike(WIDTH, HEIGHT, 11), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
  return [
    ["JPEG q85 4:2:0 baseline", await raw.clone().jpeg({ quality: 85 }).toBuffer()],
    ["JPEG q85 4:2:0 progressive", await raw.clone().jpeg({ quality: 85, progressive: true }).toBuffer()],
    ["PNG RGB 8-bit", await raw.clone().png().toBuffer()],
    ["PNG RGB 8-bit interlaced", await raw.clone().png({ progressive: true }).toBuffer()],
    ["JPEG 140x140 digit (tasks bench)", readFileSync(repoPath("test/data/digits/3-0023.jpg"))],
  ];
}

const p50AndMean = (times: readonly number[]) => {
  const { p50, mean } = summarize(times);
  return `${ms(p50)} / ${ms(mean)}`;
};

export async function benchImages({ server, port, log }: BenchContext): Promise<string> {
  const samples = await files();
  const decoder = await startBenchWorker({ entry: "scripts/bench/image-decode/worker.ts", port: port(3) });
  const rows = [];
  const resizeRows = [];
  try {
    sharp.concurrency(1);
    for (const [label, bytes] of samples) {
      log(`images: decoding ${label} (${bytes.length} bytes)`);
      const response = await fetch(`${decoder.baseUrl}/?n=${ITERATIONS}`, { method: "POST", body: bytes });
      if (!response.ok) throw new Error(`decode worker: ${response.status} ${await response.text()}`);
      const timings = (await response.json()) as DecodeTimings;
      const native = await sample(() => sharp(bytes).raw().toBuffer(), { warmup: 3, iterations: ITERATIONS });
      rows.push([
        label,
        `${(bytes.length / 1024).toFixed(0)} KiB`,
        p50AndMean(timings.decode),
        timings.jpegJs ? p50AndMean(timings.jpegJs) : "–",
        `${ms(native.p50)} / ${ms(native.mean)}`,
        ratio(summarize(timings.decode).mean, native.mean),
      ]);
      if (resizeRows.length === 0 && timings.width === WIDTH) {
        resizeRows.push(
          [`bilinear ${WIDTH}x${HEIGHT} → 224x224`, p50AndMean(timings.bilinear224)],
          [`area ${WIDTH}x${HEIGHT} → 28x28`, p50AndMean(timings.area28)],
        );
      }
    }
  } finally {
    await decoder.stop();
  }

  const { baseUrl, apiKey } = await server();
  const small = await sharp(photoLike(28, 28, 2), { raw: { width: 28, height: 28, channels: 3 } })
    .greyscale()
    .png()
    .toBuffer();
  const endToEnd = [];
  const bodies: [label: string, type: string, bytes: Buffer][] = [
    ["PNG 28x28 grey", "image/png", small],
    [`JPEG ${WIDTH}x${HEIGHT} q85`, "image/jpeg", samples[0]![1]],
  ];
  for (const [label, type, bytes] of bodies) {
    log(`images: POST /v1/run/mnist-digits with ${label}`);
    const timings: Timing[] = [];
    const init = {
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": type, "Cache-Control": "no-store" },
      body: new Uint8Array(bytes),
    };
    const latency = await sample(async () => timings.push(await postTimed(`${baseUrl}/v1/run/mnist-digits`, init)), {
      warmup: 5,
      iterations: ITERATIONS,
    });
    const { pre, run, post } = stageMeans(timings.slice(5));
    endToEnd.push([label, `${ms(latency.p50)} / ${ms(latency.mean)}`, ms(pre), ms(run), ms(post)]);
  }

  return [
    "## Images: decoding and image-classification",
    "",
    `Decoding ${WIDTH}x${HEIGHT} photo-like images (gradients, shapes, noise; made by sharp) and the 140x140 digit JPEG to RGBA inside`,
    "workerd with the Worker's decoders (PNG: JavaScript + fflate; JPEG: libjpeg-turbo in WASM, @jsquash/jpeg) and, for JPEGs,",
    `jpeg-js (the previous decoder), timed in the isolate over ${ITERATIONS} runs, against sharp (native libvips, one thread) in Node`,
    "on the same files. Milliseconds, p50 / mean. workerd's clock only moves on I/O (1 ms ticks): sub-millisecond means are",
    "averages of 0 and 1 ms readings and only roughly right.",
    "",
    table(
      ["file", "size", "workerd (Worker's decoder)", "workerd (jpeg-js)", "sharp (native)", "Worker / native"],
      rows,
    ),
    "",
    table(["resize inside workerd", "ms p50 / mean"], resizeRows),
    "",
    "`POST /v1/run/mnist-digits` (the bundled digit classifier) over loopback, no cache: `pre` is decode + fit + tensor,",
    "`run` is inside `session.run`.",
    "",
    table(["body", "latency ms p50 / mean", "pre", "run", "post"], endToEnd),
  ].join("\n");
}
