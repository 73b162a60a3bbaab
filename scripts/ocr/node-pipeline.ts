/**
 * The `ocr` task's pipeline in Node: the Worker's own decoding, pre- and post-processing (src/tasks/ocr/) around
 * sessions of onnxruntime-node (native; the independent reference) or onnxruntime-web (the Worker's WASM build,
 * for timings outside workerd). Models, dictionary and settings come from the bundled manifests (models/ppocr.json
 * and the models it names), so the Node side runs exactly what the Worker serves.
 */

import { decodeImage } from "../../src/media/image/decode.ts";
import { flattenAlpha } from "../../src/media/image/fit.ts";
import { parseAlphabet } from "../../src/tasks/ocr/ctc.ts";
import { detectorInput } from "../../src/tasks/ocr/detector-input.ts";
import {
  type FloatTensor,
  type OcrLine,
  type OcrNetworks,
  type OcrOutputs,
  readLines,
  runOcrNetworks,
} from "../../src/tasks/ocr/pipeline.ts";
import { OcrConfigSchema, type OcrOptions, ocrSettings, ocrStages } from "../../src/tasks/ocr/settings.ts";
import { bundledManifests, readRepoFile } from "../lib/bundled-models";

export type Runtime = "onnxruntime-node" | "onnxruntime-web";

export interface NodeOcrResult {
  lines: OcrLine[];
  angle: number;
  skew: number;
  /** What the networks gave (boxes in reading order, the recognizer's outputs), for analyses. */
  outputs: OcrOutputs;
  /** Milliseconds: the whole call, and the part inside `session.run`. */
  totalMillis: number;
  runMillis: number;
  runs: number;
}

/** Same limit as the Worker's default (`MAX_IMAGE_PIXELS`). */
const MAX_IMAGE_PIXELS = 4 * 1024 * 1024;

interface Session {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options: Record<string, unknown>): Promise<Session> };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
  env: { wasm: { numThreads?: number; proxy?: boolean } };
}

async function loadRuntime(runtime: Runtime): Promise<{ ort: OrtModule; options: Record<string, unknown> }> {
  if (runtime === "onnxruntime-node") {
    const ort = (await import("onnxruntime-node")) as unknown as OrtModule;
    // disable_quant_qdq: without it, onnxruntime's native optimizer turns weight-only DequantizeLinear → MatMul (the
    // int8 recognizer) into MatMulNBits, which quantizes the activations to int8 on x86: another computation than the
    // graph's, which the WASM build (the Worker's) does not make (outputs 1e-2 apart; with it, 3e-6 as for float32).
    return {
      ort,
      options: { intraOpNumThreads: 1, executionMode: "sequential", extra: { session: { disable_quant_qdq: "1" } } },
    };
  }
  const ort = (await import("onnxruntime-web/wasm")) as unknown as OrtModule;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return { ort, options: { executionProviders: ["wasm"], graphOptimizationLevel: "all" } };
}

/**
 * Loads the detector `model` (`name` or `name@version`, default `ppocr`: its default version) and the classifier and
 * recognizer its manifest names for that version; returns the pipeline.
 */
export async function createNodeOcr(
  runtime: Runtime = "onnxruntime-node",
  model = "ppocr",
  /** Manifest settings to change, e.g. `{postprocess: {unclipRatio: 2}}` (for measurements). */
  overrides: { preprocess?: Record<string, unknown>; postprocess?: Record<string, unknown> } = {},
): Promise<(bytes: Uint8Array, options?: OcrOptions) => Promise<NodeOcrResult>> {
  const manifests = new Map(bundledManifests().map((m) => [m.name, m]));
  const resolve = (reference: string) => {
    const [name, requested] = reference.split("@") as [string, string | undefined];
    const manifest = manifests.get(name);
    if (!manifest) throw new Error(`no bundled model '${name}'`);
    const version = manifest.aliases[requested ?? "default"] ?? requested;
    const entry = version === undefined ? undefined : manifest.versions[version];
    if (version === undefined || !entry) throw new Error(`bundled model '${name}' has no version '${requested}'`);
    return { manifest, version, entry };
  };
  const versionOf = (reference: string) => resolve(reference).entry;
  const { manifest: detector, version: detectorVersionName, entry: detectorVersion } = resolve(model);
  const config = OcrConfigSchema.parse({
    preprocess: { ...detector.preprocess, ...overrides.preprocess },
    postprocess: { ...detector.postprocess, ...overrides.postprocess },
  });
  const stages = ocrStages(config, detectorVersionName);
  const dictionary = detectorVersion.assets?.[config.preprocess.dictionary];
  if (!dictionary) throw new Error(`${model} has no asset ${config.preprocess.dictionary}`);
  const alphabet = parseAlphabet(await readRepoFile(dictionary.file));

  const { ort, options } = await loadRuntime(runtime);
  const open = async (file: string) => ort.InferenceSession.create(await readRepoFile(file), options);
  const detect = await open(detectorVersion.file);
  const recognize = await open(versionOf(stages.recognizer).file);
  const classify = stages.classifier === undefined ? undefined : await open(versionOf(stages.classifier).file);

  return async (bytes, options = {}) => {
    const settings = ocrSettings(config, options);
    const started = performance.now();
    let runMillis = 0;
    let runs = 0;
    const run = async (session: Session, input: FloatTensor): Promise<FloatTensor> => {
      const runStarted = performance.now();
      const outputs = await session.run({
        [session.inputNames[0]!]: new ort.Tensor("float32", input.data, input.shape),
      });
      runMillis += performance.now() - runStarted;
      runs += 1;
      const output = outputs[session.outputNames[0]!]!;
      return { data: output.data as Float32Array, shape: [...output.dims] };
    };
    const networks: OcrNetworks = {
      detect: (input) => run(detect, input),
      classify: classify && ((input) => run(classify, input)),
      recognize: (input) => run(recognize, input),
    };
    const image = flattenAlpha(decodeImage(bytes, MAX_IMAGE_PIXELS), [255, 255, 255]);
    const outputs = await runOcrNetworks(image, detectorInput(image, settings.maxPixels), networks, settings);
    const lines = readLines(outputs, alphabet, settings);
    const { angle, skew } = outputs;
    return { lines, angle, skew, outputs, totalMillis: performance.now() - started, runMillis, runs };
  };
}
