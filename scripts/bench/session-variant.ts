/**
 * One cold session in a fresh process, as a fresh isolate meets it: `node --import tsx session-variant.ts <model.onnx>
 * <level> <feeds.json>` starts onnxruntime-web (WASM, one thread) on a one-node graph, then times the session's
 * creation at that graph optimization level, its first run, and warm runs (p50 of 30). Prints one JSON line.
 * Run by scripts/bench/coldstart.ts.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web";
import { writeOnnxModel } from "../../src/onnx/writer.ts";

interface Feed {
  name: string;
  type: "float32" | "int64";
  shape: number[];
  data: number[];
}

const [file, level, feedsFile] = process.argv.slice(2) as [string, "disabled" | "basic" | "all", string];
ort.env.wasm.numThreads = 1;
const identity = { name: "x", elemType: 1, dims: [1] };
const warmup = await ort.InferenceSession.create(
  writeOnnxModel({
    inputs: [identity],
    outputs: [{ ...identity, name: "y" }],
    nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
  }),
  { executionProviders: ["wasm"] },
);
await warmup.release();

const bytes = new Uint8Array(readFileSync(file));
const timed = async <T>(step: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await step();
  return [value, performance.now() - started];
};
const [session, create] = await timed(() =>
  ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: level }),
);
const feeds = Object.fromEntries(
  (JSON.parse(readFileSync(feedsFile, "utf8")) as Feed[]).map((f) => [
    f.name,
    new ort.Tensor(
      f.type,
      f.type === "int64" ? BigInt64Array.from(f.data, BigInt) : Float32Array.from(f.data),
      f.shape,
    ),
  ]),
);
const [, first] = await timed(() => session.run(feeds));
const warm: number[] = [];
for (let i = 0; i < 30; i++) warm.push((await timed(() => session.run(feeds)))[1]);
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ create, first, warm: warm[15] }));
