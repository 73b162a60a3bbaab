// Image figures: decoding 640x480 photo-like PNG and JPEG files (and the 140x140 digit JPEG the tasks bench sends)
// inside workerd with the Worker's decoders (src/media/image: PNG in JavaScript with fflate, JPEG with libjpeg-turbo
// in WASM) and, for JPEGs, with jpeg-js (the previous JPEG decoder), against sharp (native libvips, one thread) in Node on the same files; the
// resizes the image tasks run; and `POST /v1/run/mnist-digits` end to end for a small PNG and a 640x480 JPEG.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import sharp from "sharp";
import { ROOT } from "../lib/bundled-models.mjs";
import { photoLike } from "../lib/photo-like.mjs";
import { ms, ratio, sample, serverTiming, summarize, table } from "./measure.mjs";

const WIDTH = 640;
const HEIGHT = 480;
const ITERATIONS = 30;

async function files() {
  const raw = sharp(photoLike(WIDTH, HEIGHT, 11), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
  return [
    ["JPEG q85 4:2:0 baseline", await raw.clone().jpeg({ quality: 85 }).toBuffer()],
    ["JPEG q85 4:2:0 progressive", await raw.clone().jpeg({ quality: 85, progressive: true }).toBuffer()],
    ["PNG RGB 8-bit", await raw.clone().png().toBuffer()],
    ["PNG RGB 8-bit interlaced", await raw.clone().png({ progressive: true }).toBuffer()],
    ["JPEG 140x140 digit (tasks bench)", readFileSync(join(ROOT, "test", "data", "digits", "3-0023.jpg"))],
  ];
}

/** The bench Worker bundled by esbuild and run on its own workerd. */
async function startDecodeWorker(port) {
  const outdir = mkdtempSync(join(tmpdir(), "edge-maas-image-bench-"));
  // `.wasm` imports become CompiledWasm modules beside the bundle, as wrangler's module rules make them
  const wasmModules = {
    name: "compiled-wasm",
    setup(builder) {
      builder.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { inner: true },
        });
        const name = resolved.path.split("/").pop();
        copyFileSync(resolved.path, join(outdir, name));
        return { path: `./${name}`, external: true };
      });
    },
  };
  await build({
    entryPoints: [join(ROOT, "scripts", "bench", "image-decode", "worker.ts")],
    bundle: true,
    format: "esm",
    minify: true,
    conditions: ["workerd", "worker", "browser"],
    plugins: [wasmModules],
    outfile: join(outdir, "worker.js"),
    logLevel: "silent",
  });
  const mf = new Miniflare({
    modules: true,
    modulesRoot: outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    scriptPath: join(outdir, "worker.js"),
    compatibilityDate: "2026-05-01",
    host: "127.0.0.1",
    port: 0,
    unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    logRequests: false,
  });
  await mf.ready;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: async () => (await mf.dispose(), rmSync(outdir, { recursive: true, force: true })),
  };
}

export async function benchImages({ server, port, log }) {
  const samples = await files();
  const decoder = await startDecodeWorker(port(3));
  const rows = [];
  const resizeRows = [];
  try {
    sharp.concurrency(1);
    for (const [label, bytes] of samples) {
      log(`images: decoding ${label} (${bytes.length} bytes)`);
      const response = await fetch(`${decoder.baseUrl}/?n=${ITERATIONS}`, { method: "POST", body: bytes });
      if (!response.ok) throw new Error(`decode worker: ${response.status} ${await response.text()}`);
      const timings = await response.json();
      const workerd = summarize(timings.decode);
      const jpegJs = timings.jpegJs ? summarize(timings.jpegJs) : undefined;
      const native = await sample(() => sharp(bytes).raw().toBuffer(), { warmup: 3, iterations: ITERATIONS });
      rows.push([
        label,
        `${(bytes.length / 1024).toFixed(0)} KiB`,
        `${ms(workerd.p50)} / ${ms(workerd.mean)}`,
        jpegJs ? `${ms(jpegJs.p50)} / ${ms(jpegJs.mean)}` : "–",
        `${ms(native.p50)} / ${ms(native.mean)}`,
        ratio(workerd.mean, native.mean),
      ]);
      if (resizeRows.length === 0 && timings.width === WIDTH) {
        const bilinear = summarize(timings.bilinear224);
        const area = summarize(timings.area28);
        resizeRows.push(
          [`bilinear ${WIDTH}x${HEIGHT} → 224x224`, `${ms(bilinear.p50)} / ${ms(bilinear.mean)}`],
          [`area ${WIDTH}x${HEIGHT} → 28x28`, `${ms(area.p50)} / ${ms(area.mean)}`],
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
  for (const [label, type, bytes] of [
    ["PNG 28x28 grey", "image/png", small],
    [`JPEG ${WIDTH}x${HEIGHT} q85`, "image/jpeg", samples[0][1]],
  ]) {
    log(`images: POST /v1/run/mnist-digits with ${label}`);
    const timings = [];
    const latency = await sample(
      async () => {
        const response = await fetch(`${baseUrl}/v1/run/mnist-digits`, {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": type, "Cache-Control": "no-store" },
          body: bytes,
        });
        if (response.status !== 200) throw new Error(`mnist-digits: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        timings.push(serverTiming(response.headers.get("server-timing")));
      },
      { warmup: 5, iterations: ITERATIONS },
    );
    const mean = (key) => summarize(timings.slice(5).map((t) => t[key] ?? 0)).mean;
    endToEnd.push([
      label,
      `${ms(latency.p50)} / ${ms(latency.mean)}`,
      ms(mean("pre")),
      ms(mean("run")),
      ms(mean("post")),
    ]);
  }

  return [
    "## Images: decoding and image-classification",
    "",
    `Decoding ${WIDTH}x${HEIGHT} photo-like images (gradients, shapes, noise; made by sharp) and the 140x140 digit JPEG to RGBA inside`,
    "workerd with the Worker's decoders (PNG: JavaScript + fflate; JPEG: libjpeg-turbo in WASM, @jsquash/jpeg) and, for JPEGs,",
    "jpeg-js (the previous decoder), timed in the isolate over " +
      ITERATIONS +
      " runs, against sharp (native libvips, one thread) in Node",
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
