/**
 * JPEG → RGBA with libjpeg-turbo (mozjpeg's decoder, compiled to WASM by the Squoosh project and packaged as
 * @jsquash/jpeg): ~3–4x faster than jpeg-js and byte-identical to sharp's libjpeg for 4:4:4, 4:2:0, grey, baseline,
 * progressive and arithmetic-coded files. One instance per isolate, made from the precompiled module
 * (`#jsquash/mozjpeg_dec.wasm`: wrangler's module rules compile it, workerd cannot compile WASM from bytes; in Node
 * ./mozjpeg-wasm.node.mjs compiles it). libjpeg reports fatal errors through exit(), which leaves the instance
 * unusable, and a large image grows its memory for good: in both cases the instance is dropped and the next decode
 * makes a fresh one (instantiating a compiled module is cheap).
 */
import createMozjpeg, { type MozJPEGModule } from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import mozjpegWasm from "#jsquash/mozjpeg_dec.wasm";
import type { RgbaImage } from "./rgba";

/** An instance whose memory grew past this after a decode is dropped (a 4 Mi-pixel image needs ~40 MiB). */
const MAX_RETAINED_MEMORY = 32 * 1024 * 1024;

/**
 * libjpeg warnings that mean the image is incomplete or its scan data damaged: libjpeg fills in grey and carries on,
 * we refuse the file (as sharp does) rather than classify a half-grey picture.
 */
const DAMAGE_WARNINGS = /^(Premature end|Corrupt JPEG data)/;

interface Decoder {
  module: MozJPEGModule;
  memory: () => number;
  /** What libjpeg printed to stderr (its warnings and its error message) during the current decode. */
  messages: string[];
}

let decoder: Decoder | undefined;

/** The part of the WebAssembly API used here (declared locally: Node's type definitions lack the namespace's values). */
interface WasmApi {
  Instance: new (module: unknown, imports: unknown) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function instantiate(): Decoder {
  const messages: string[] = [];
  let memory: { buffer: ArrayBuffer } | undefined;
  const options = {
    noInitialRun: true,
    print: (text: string) => messages.push(text),
    printErr: (text: string) => messages.push(text),
    // synchronous instantiation, so the module is ready when the factory returns
    instantiateWasm: (imports: unknown, ready: (instance: unknown) => void) => {
      const instance = new wasm.Instance(mozjpegWasm, imports);
      memory = Object.values(instance.exports).find((value) => value instanceof wasm.Memory) as
        | { buffer: ArrayBuffer }
        | undefined;
      ready(instance);
      return instance.exports;
    },
  };
  const module = options as unknown as MozJPEGModule;
  void createMozjpeg(options as Parameters<typeof createMozjpeg>[0]);
  if (typeof module.decode !== "function") throw new Error("the JPEG decoder did not initialise");
  return { module, memory: () => memory?.buffer.byteLength ?? 0, messages };
}

/** Decodes a 1- or 3-component JPEG into RGBA as stored (no EXIF orientation applied). Throws plain errors. */
export function decodeWithMozjpeg(bytes: Uint8Array): RgbaImage {
  decoder ??= instantiate();
  const current = decoder;
  current.messages.length = 0;
  let decoded: { width: number; height: number; data: Uint8ClampedArray } | null;
  try {
    decoded = current.module.decode(bytes, false);
  } catch (error) {
    decoder = undefined;
    const reason = current.messages.at(-1) ?? (error instanceof Error ? error.message : String(error));
    throw new Error(reason, { cause: error });
  } finally {
    if (decoder && current.memory() > MAX_RETAINED_MEMORY) decoder = undefined;
  }
  const damage = current.messages.find((message) => DAMAGE_WARNINGS.test(message));
  if (damage) throw new Error(damage);
  if (!decoded) throw new Error("the JPEG decoder returned nothing");
  const { width, height, data } = decoded;
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
