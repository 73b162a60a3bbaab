/**
 * Voice-activity figures: `POST /v1/run/silero-vad` on WAV files of test/data/vad/ (Silero runs once per 32 ms window,
 * state carried, so a clip is hundreds of sequential session calls): end to end, the Worker's Server-Timing split per
 * window (inside session.run, the rest of the infer loop) and pre/post; next to the cost of one window through the
 * session pool alone (the admin profile route), in onnxruntime-web (WASM) in Node, and in onnxruntime-node (native),
 * all one thread.
 */
import { readFileSync } from "node:fs";
import * as ortNode from "onnxruntime-node";
import { adminCall } from "../lib/api-client";
import { repoPath } from "../lib/bundled-models";
import type { BenchContext } from "./context";
import { ms, postTimed, sample, share, stageMeans, type Timing, table } from "./measure";

const WARMUP = 5;
const ITERATIONS = 30;
const MODEL_FILE = "node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx";
const WINDOW = 576; // 64 samples of context + a 512-sample window at 16 kHz

type Ort = typeof ortNode;
type SessionOptions = Parameters<Ort["InferenceSession"]["create"]>[1];

const read = (file: string) => readFileSync(repoPath(`test/data/vad/${file}`));

/** The 16 kHz PCM16 clip twice over: a 9.8 s file (306 windows). */
function doubled(wav: Buffer): Buffer {
  const data = wav.subarray(44);
  const out = Buffer.alloc(44 + 2 * data.length);
  wav.copy(out, 0, 0, 44);
  data.copy(out, 44);
  data.copy(out, 44 + data.length);
  out.writeUInt32LE(36 + 2 * data.length, 4);
  out.writeUInt32LE(2 * data.length, 40);
  return out;
}

/** One window with its state carried, `n` times: the per-call floor of an onnxruntime build in Node. */
async function nodeFloor(ort: Ort, bytes: Uint8Array, options: SessionOptions) {
  const session = await ort.InferenceSession.create(bytes, options);
  const input = new Float32Array(WINDOW).map((_, i) => 0.3 * Math.sin(i / 5));
  const sr = new ort.Tensor("int64", BigInt64Array.of(16000n), []);
  let state = new ort.Tensor("float32", new Float32Array(256), [2, 1, 128]);
  const result = await sample(
    async () => {
      const out = await session.run({ input: new ort.Tensor("float32", input, [1, WINDOW]), state, sr });
      state = out.stateN as typeof state;
    },
    { warmup: 200, iterations: 2000 },
  );
  await session.release();
  return result;
}

export async function benchVoice({ server, log }: BenchContext): Promise<string> {
  const open = await server("open");
  const clip = read("speech-16k.wav");
  const files: [string, Buffer][] = [
    ["4.9 s, 16 kHz PCM16", clip],
    ["9.8 s, 16 kHz PCM16", doubled(clip)],
    ["4.9 s, 48 kHz PCM16 (resampled)", read("speech-48k.wav")],
    ["4.9 s, 8 kHz PCM16 (native 8 kHz)", read("speech-8k.wav")],
    ["4.9 s, 16 kHz stereo", read("speech-stereo.wav")],
  ];
  const rows = [];
  for (const [label, body] of files) {
    log(`voice: ${label}`);
    const timings: Timing[] = [];
    const url = `${open.baseUrl}/v1/run/silero-vad`;
    const init = { headers: { "Content-Type": "audio/wav", "Cache-Control": "no-store" }, body: new Uint8Array(body) };
    const e2e = await sample(async () => timings.push(await postTimed(url, init)), {
      warmup: WARMUP,
      iterations: ITERATIONS,
    });
    const windows = timings.at(-1)?.sessionRuns ?? 0;
    const { pre, run, post, infer } = stageMeans(timings.slice(WARMUP));
    rows.push([
      label,
      windows,
      `${ms(e2e.p50)} / ${ms(e2e.mean)}`,
      ms(run / windows),
      ms((infer - run) / windows),
      ms(pre),
      ms(post),
      share(pre + post, e2e.mean),
    ]);
  }

  log("voice: one window through the session pool (admin profile)");
  const window = {
    inputs: [
      {
        name: "input",
        datatype: "FP32",
        shape: [1, WINDOW],
        data: Array.from({ length: WINDOW }, (_, i) => 0.3 * Math.sin(i / 5)),
      },
      { name: "state", datatype: "FP32", shape: [2, 1, 128], data: Array(256).fill(0) },
      { name: "sr", datatype: "INT64", shape: [], data: [16000] },
    ],
  };
  const profile = await adminCall<{ meanMillis: number }>(
    open,
    "POST",
    "/admin/models/silero-vad/versions/1/profile?iterations=1000",
    window,
  );
  const bytes = readFileSync(repoPath(MODEL_FILE));
  log("voice: onnxruntime-web (WASM) and onnxruntime-node in Node");
  const ortWeb = await import("onnxruntime-web");
  ortWeb.env.wasm.numThreads = 1;
  const web = await nodeFloor(ortWeb as unknown as Ort, bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  const native = await nodeFloor(ortNode, bytes, { intraOpNumThreads: 1, executionMode: "sequential" });

  return [
    "## Voice activity: Silero VAD, one session call per 32 ms window",
    "",
    `\`POST /v1/run/silero-vad\` with a WAV body on a \`TENANCY=off\` server, \`Cache-Control: no-store\`, ${WARMUP} warm-up and ${ITERATIONS}`,
    "timed sequential requests. Per window: the Worker's Server-Timing `run` (inside `session.run`) and the rest of its infer",
    "stage (the frame loop, the model handle and the session pool's queue), divided by the windows. `pre` is WAV decoding, mono",
    "mixing and resampling; `post` the segment algorithm and the JSON answer (Server-Timing means).",
    "",
    table(
      [
        "audio",
        "windows",
        "end-to-end p50 / mean ms",
        "session.run per window ms",
        "infer loop outside run per window ms",
        "pre ms",
        "post ms",
        "pre + post share",
      ],
      rows,
    ),
    "",
    "One window (a [1, 576] input, state carried), per call, one thread:",
    "",
    table(
      ["where", "ms per call"],
      [
        ["workerd: the session pool's `run` (admin profile route, 1000 calls)", ms(profile.meanMillis)],
        ["Node: onnxruntime-web 1.30 `session.run` (WASM SIMD), mean / p50", `${ms(web.mean)} / ${ms(web.p50)}`],
        ["Node: onnxruntime-node 1.30 `session.run` (native), mean / p50", `${ms(native.mean)} / ${ms(native.p50)}`],
      ],
    ),
  ].join("\n");
}
