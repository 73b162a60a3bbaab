/**
 * Loads onnxruntime-web's WASM SIMD backend inside workerd. The only module that imports onnxruntime-web.
 *
 * workerd refuses to compile WebAssembly from bytes ("Wasm code generation disallowed by embedder"), so the
 * `.wasm` file arrives precompiled through wrangler's module rules, and onnxruntime-web only forwards
 * `numThreads`, `wasmBinary` and `locateFile` to its Emscripten glue. The glue also honours a module's
 * `instantiateWasm` hook, looked up as a property of the object onnxruntime-web hands it: while the backend
 * initialises we define that hook on `Object.prototype`, so the glue calls it with its imports and the module object
 * itself. We instantiate the precompiled module there, wrap the heap's growth (./wasm-heap.ts) and keep the module's
 * `malloc`/`free` to measure free space. The hook is removed as soon as the backend is up (docs/architecture.md,
 * "onnxruntime-web in workerd").
 *
 * The Worker starts the backend when its isolate starts (`startWithIsolate`, from the entry module): Cloudflare
 * starts isolates ahead of requests where it can (while the TLS handshake runs), so a fresh isolate's first request
 * waits only for what the handshake did not cover, and `wrangler dev` starts its isolate before it listens, so there
 * the first request waits for none of it (docs/design/cold-start.md).
 * It costs a few hundred milliseconds of the startup's 1 s CPU limit; nothing else heavy runs there.
 */

import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import { writeOnnxModel } from "../onnx/writer";
import { type EmscriptenAllocator, WasmHeap } from "./wasm-heap";

export { ort };

let initialising: Promise<void> | undefined;
let heap: WasmHeap | undefined;
let heapCeiling = Number.POSITIVE_INFINITY;
let initMillis = 0;
let initStartedWith: OrtStart | undefined;

/** What started the backend: the isolate's start, or a request that found it not yet started. */
export type OrtStart = "isolate" | "request";

/** Initialises the backend once per isolate; concurrent callers share the same promise. */
export function ensureOrt(startedBy: OrtStart = "request"): Promise<void> {
  if (!initialising) {
    initStartedWith = startedBy;
    initialising = initialise().catch((error: unknown) => {
      initialising = undefined; // a later request may try again
      throw error;
    });
  }
  return initialising;
}

/**
 * Starts the backend as the isolate starts, from the entry module's top level. workerd runs the whole start there
 * (the precompiled module's instantiation and the runtime's set-up need no I/O). A failure is left for the first
 * request to meet again.
 */
export function startWithIsolate(): void {
  ensureOrt("isolate").catch(() => undefined);
}

/** What started the backend in this isolate (undefined until something did). */
export function ortStartedBy(): OrtStart | undefined {
  return initStartedWith;
}

/** Bytes of the WASM heap. It only ever grows; 0 before the backend is initialised. */
export function wasmMemoryBytes(): number {
  return heap?.bytes() ?? 0;
}

/** The heap the backend runs in, once initialised. */
export function wasmHeap(): WasmHeap | undefined {
  return heap;
}

/** The heap never grows past `bytes` (applied when the backend initialises, if it has not yet). */
export function setHeapCeiling(bytes: number): void {
  heapCeiling = bytes;
  heap?.setCeiling(bytes);
}

/** How long the one-time backend initialisation took in this isolate (0 until it ran). */
export function ortInitMillis(): number {
  return initMillis;
}

type InstantiateHook = (
  this: EmscriptenAllocator,
  imports: WebAssembly.Imports,
  receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
) => void;

async function initialise(): Promise<void> {
  // Date, not performance: workerd's performance clock does not move during the isolate's start
  const started = Date.now();
  ort.env.wasm.numThreads = 1; // workerd has no threads
  ort.env.wasm.proxy = false;
  // onnxruntime-web wants the bytes or a path before it starts the glue; the glue never reads them once the
  // instantiateWasm hook answers
  ort.env.wasm.wasmBinary = new ArrayBuffer(8);
  ort.env.logLevel = "error";

  const hook: InstantiateHook = function instantiateWasm(imports, receive) {
    const attached = WasmHeap.attach(imports);
    if (attached) {
      attached.setCeiling(heapCeiling);
      heap = attached;
    }
    WebAssembly.instantiate(ortWasmModule, imports).then((instance) => {
      receive(instance, ortWasmModule);
      heap?.setAllocator(this); // the glue puts _malloc/_free on the module as it receives the instance
    });
    return {};
  };
  Object.defineProperty(Object.prototype, "instantiateWasm", { value: hook, configurable: true, writable: true });
  try {
    // The backend initialises on the first session; a one-node graph makes that explicit and cheap.
    const warmup = await ort.InferenceSession.create(warmupModel());
    await warmup.release();
  } finally {
    delete (Object.prototype as { instantiateWasm?: unknown }).instantiateWasm;
  }
  initMillis = Date.now() - started;
}

function warmupModel(): Uint8Array {
  const value = { name: "x", elemType: 1, dims: [1] };
  return writeOnnxModel({
    inputs: [value],
    outputs: [{ ...value, name: "y" }],
    nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
  });
}
