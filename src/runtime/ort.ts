/**
 * Loads onnxruntime-web's WASM SIMD backend inside workerd. The only module that imports onnxruntime-web.
 *
 * workerd refuses to compile WebAssembly from bytes ("Wasm code generation disallowed by embedder"), so the
 * `.wasm` file arrives precompiled through wrangler's module rules, and onnxruntime-web only forwards
 * `numThreads`, `wasmBinary` and `locateFile` to its Emscripten glue. We hand it a sentinel `wasmBinary` and, while
 * the backend initialises, answer the `WebAssembly.instantiate` call that carries the sentinel with the precompiled
 * module (docs/architecture.md, "onnxruntime-web in workerd"). Nothing here runs at import time: the startup limit is 1 s.
 */

import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import { writeOnnxModel } from "../onnx/writer";

export { ort };

let initialising: Promise<void> | undefined;
let wasmMemory: WebAssembly.Memory | undefined;
let initMillis = 0;

/** Initialises the backend once per isolate; concurrent callers share the same promise. */
export function ensureOrt(): Promise<void> {
  initialising ??= initialise().catch((error: unknown) => {
    initialising = undefined; // a later request may try again
    throw error;
  });
  return initialising;
}

/** Bytes of the WASM heap. It only ever grows; 0 before the backend is initialised. */
export function wasmMemoryBytes(): number {
  return wasmMemory?.buffer.byteLength ?? 0;
}

/** How long the one-time backend initialisation took in this isolate (0 until it ran). */
export function ortInitMillis(): number {
  return initMillis;
}

async function initialise(): Promise<void> {
  const started = performance.now();
  const sentinel = new ArrayBuffer(8);
  ort.env.wasm.numThreads = 1; // workerd has no threads
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = sentinel;
  ort.env.logLevel = "error";

  const original = WebAssembly.instantiate;
  const patched = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof Uint8Array && source.buffer === sentinel) {
      const instance = await original(ortWasmModule, imports);
      wasmMemory = findMemory(instance, imports);
      return { instance, module: ortWasmModule };
    }
    return (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  try {
    // The backend initialises on the first session; a one-node graph makes that explicit and cheap.
    const warmup = await ort.InferenceSession.create(warmupModel());
    await warmup.release();
  } finally {
    WebAssembly.instantiate = original;
  }
  initMillis = performance.now() - started;
}

function warmupModel(): Uint8Array {
  const value = { name: "x", elemType: 1, dims: [1] };
  return writeOnnxModel({
    inputs: [value],
    outputs: [{ ...value, name: "y" }],
    nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
  });
}

/** The threaded Emscripten build imports its memory; other builds export it. */
function findMemory(instance: WebAssembly.Instance, imports?: WebAssembly.Imports): WebAssembly.Memory | undefined {
  const candidates = [
    ...Object.values(instance.exports),
    ...Object.values(imports ?? {}).flatMap((module) => Object.values(module)),
  ];
  return candidates.find((value): value is WebAssembly.Memory => value instanceof WebAssembly.Memory);
}
