/**
 * Per bundled model: the cold first request split by stage, WASM memory, and warm latency over HTTP next to
 * session.run inside the Worker's isolate, onnxruntime-web in Node and onnxruntime-node (native). HTTP overhead is
 * split into what carrying the same bytes costs (a bare Worker on the same workerd) and what our code adds.
 */
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { readOnnxModel } from "../../src/onnx/reader";
import { adminCall, expectOk } from "../lib/api-client";
import { type BundledManifest, defaultVersion, readRepoFile } from "../lib/bundled-models";
import { startDevServer } from "../lib/dev-server";
import { fetchAgainIfClosed } from "../lib/fetch-again";
import type { BenchWorkerHandle, WorkerHandle } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { median, mib, ms, ratio, sample, serverTiming, summarize, table } from "./measure";
import { type BenchRequest, binaryRequest, jsonRequest, sampleTensors, uncached } from "./oip-requests";

ortWeb.env.wasm.numThreads = 1;
const WARMUP = 150;
const ROUNDS = 7;
const ROUND_SIZE = 60;

interface RuntimeStats {
  ortInitMillis: number;
  ortStartedBy: "isolate" | "request" | null;
  wasmMemoryBytes: number;
  sessions: { digest: string; label: string; chargedBytes: number; createMillis: number }[];
}

export async function benchInference({
  server,
  restart,
  manifests,
  log,
  port,
  stateDir,
}: BenchContext): Promise<string> {
  await server("open"); // stores the bundled models (uploads warm their sessions: every measurement below restarts first)
  const cold = [];
  for (const manifest of manifests) {
    log(`cold first request: ${manifest.name}`);
    cold.push(await coldRequest(await restart("open"), manifest));
  }

  const open = await server("open");
  const bare = await server("bare");
  const health = await sample(() => fetchText(`${open.baseUrl}/v2/health/live`));
  const warm = [];
  for (const manifest of manifests) {
    log(`warm latency: ${manifest.name}`);
    warm.push(await warmFigures(open, bare, manifest));
  }
  log("the dev proxy: GET /v2/health/live through `npm run dev`");
  const dev = await startDevServer({ port: port(0), persistTo: stateDir() });
  let devHealth: Awaited<ReturnType<typeof sample>>;
  try {
    devHealth = await sample(() => fetchText(`${dev.baseUrl}/v2/health/live`));
  } finally {
    await dev.stop();
  }

  return [
    "## Inference",
    "",
    "Cold first request after a restart of the Worker (a fresh isolate), split by the Worker's `Server-Timing`;",
    "WASM memory read from `GET /admin/runtime` right after it (the heap includes ORT itself and its warm-up model).",
    "onnxruntime starts with the isolate, before the first request: `ORT init at isolate start` is that start's time",
    "(`GET /admin/runtime`), not part of the request's total; `ORT init` is what the request itself waited for it.",
    "",
    table(
      [
        "model",
        "file MB",
        "client total ms",
        "ORT init at isolate start",
        "ORT init",
        "R2 read",
        "session create",
        "first run",
        "WASM heap MiB",
        "session charge MiB",
      ],
      cold.map((c) => [
        c.model,
        (c.bytes / 1e6).toFixed(1),
        ms(c.total),
        c.isolateStartMillis === undefined ? "–" : ms(c.isolateStartMillis),
        c.timing["ort-init"] === undefined ? "–" : ms(c.timing["ort-init"]),
        ms(c.timing["r2-read"]),
        ms(c.timing.session),
        ms(c.timing.infer),
        mib(c.wasmMemoryBytes),
        mib(c.chargedBytes),
      ]),
    ),
    "",
    `Warm, sequential requests (${WARMUP} warm-up; \`Cache-Control: no-store\`, so each runs the model) on a \`TENANCY=off\` server: the`,
    "inference server alone (the tenancy section shows what API keys and metering add). `in-isolate run` is the mean `runtime.run`",
    "(tensors in, `session.run`, tensors out) inside the Worker (`POST /admin/models/{model}/versions/{version}/profile`).",
    "HTTP overhead = HTTP binary p50 − in-isolate run (target: under 1 ms). Of that, `transport` is what a bare Worker on the same",
    "workerd takes to receive the same request body and send a response of the same size (p50); `our code` is the rest.",
    `Binary HTTP, transport and in-isolate run are measured in ${ROUNDS} alternating rounds of ${ROUND_SIZE}; each round gives its own`,
    "overhead and the median round's figures are shown (p99 over all rounds). JSON: one run of 300 after the warm-up.",
    "",
    table(
      [
        "model",
        "request / response KB",
        "HTTP binary p50 / p99 ms",
        "HTTP JSON p50 / p99 ms",
        "in-isolate run ms",
        "HTTP overhead ms",
        "transport ms",
        "our code ms",
        "ort-web in Node p50 ms",
        "ort-node native p50 ms",
        "workerd run / Node web run",
        "web (Node) / native",
      ],
      warm.map((w) => [
        w.model,
        `${(w.requestBytes / 1024).toFixed(1)} / ${(w.responseBytes / 1024).toFixed(1)}`,
        `${ms(w.binary.p50)} / ${ms(w.binary.p99)}`,
        `${ms(w.json.p50)} / ${ms(w.json.p99)}`,
        ms(w.isolateMean),
        ms(w.overhead),
        ms(w.transport),
        ms(w.ours),
        w.web ? ms(w.web.p50) : "–",
        w.native ? ms(w.native.p50) : "–",
        w.web ? ratio(w.isolateMean, w.web.p50) : "–",
        w.web && w.native ? ratio(w.web.p50, w.native.p50) : "–",
      ]),
    ),
    "",
    `A no-op \`GET /v2/health/live\` takes p50 ${ms(health.p50)} ms (p99 ${ms(health.p99)}) on the Worker's socket and p50 ${ms(devHealth.p50)} ms (p99 ${ms(devHealth.p99)})`,
    `through \`npm run dev\`, whose proxy Worker (a second workerd, local development only) adds ${ms(devHealth.p50 - health.p50)} ms to every request.`,
  ].join("\n");
}

async function coldRequest(server: WorkerHandle, manifest: BundledManifest) {
  const { headers, body } = binaryRequest(manifest);
  const started = performance.now();
  const url = `${server.baseUrl}/v2/models/${manifest.name}/infer`;
  const response = await expectOk(fetch(url, { method: "POST", headers, body }));
  await response.arrayBuffer();
  const total = performance.now() - started;
  const stats = await adminCall<RuntimeStats>(server, "GET", "/admin/runtime");
  const version = defaultVersion(manifest);
  const session = stats.sessions.find((s) => s.digest === version.sha256);
  return {
    model: manifest.name,
    bytes: version.bytes,
    total,
    timing: serverTiming(response.headers.get("server-timing")),
    wasmMemoryBytes: stats.wasmMemoryBytes,
    chargedBytes: session?.chargedBytes ?? 0,
    isolateStartMillis: stats.ortStartedBy === "isolate" ? stats.ortInitMillis : undefined,
  };
}

async function warmFigures(server: WorkerHandle, bare: BenchWorkerHandle, manifest: BundledManifest) {
  const url = `${server.baseUrl}/v2/models/${manifest.name}/infer`;
  const binary = uncached(binaryRequest(manifest));
  const json = uncached(jsonRequest(manifest));
  const post = (target: string, request: BenchRequest) => async () =>
    (await expectOk(fetchAgainIfClosed(target, { method: "POST", ...request }))).arrayBuffer();
  const responseBytes = (await post(url, binary)()).byteLength;
  const echo = `${bare.baseUrl}/echo?bytes=${responseBytes}`;
  // JIT tiers settle over the first hundred or so requests of a route: warm up well before timing
  await sample(post(url, binary), { warmup: WARMUP, iterations: 1 });
  await sample(post(echo, binary), { warmup: WARMUP, iterations: 1 });
  const jsonTimes = await sample(post(url, json), { warmup: WARMUP });

  // HTTP, the transport floor and the in-isolate run in alternating rounds, so that the machine's load (shared cores)
  // weighs on all three alike; each round gives its own overhead, and the median round is reported
  const version = manifest.aliases.default;
  const profileUrl = `${server.baseUrl}/admin/models/${manifest.name}/versions/${version}/profile?iterations=${ROUND_SIZE}`;
  const profile = { headers: { ...binary.headers, Authorization: `Bearer ${server.adminToken}` }, body: binary.body };
  const rounds = { http: [] as number[], transport: [] as number[], isolate: [] as number[] };
  const overhead: number[] = [];
  const ours: number[] = [];
  const binaryAll: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const http = await sample(post(url, binary), { warmup: 5, iterations: ROUND_SIZE });
    const transport = await sample(post(echo, binary), { warmup: 5, iterations: ROUND_SIZE });
    const answer = await expectOk(fetchAgainIfClosed(profileUrl, { method: "POST", ...profile }));
    const isolate = ((await answer.json()) as { meanMillis: number }).meanMillis;
    binaryAll.push(...http.times);
    rounds.http.push(http.p50);
    rounds.transport.push(transport.p50);
    rounds.isolate.push(isolate);
    overhead.push(http.p50 - isolate);
    ours.push(http.p50 - isolate - transport.p50);
  }

  const weights = await readRepoFile(defaultVersion(manifest).file);
  return {
    model: manifest.name,
    requestBytes: binary.body.byteLength,
    responseBytes,
    binary: { ...summarize(binaryAll), p50: median(rounds.http) },
    json: jsonTimes,
    transport: median(rounds.transport),
    isolateMean: median(rounds.isolate),
    overhead: median(overhead),
    ours: median(ours),
    web: await timeInProcess(ortWeb as unknown as typeof ortNode, weights, manifest),
    native: await timeInProcess(ortNode, weights, manifest),
  };
}

/**
 * The uploaded file's run in this process; undefined for a file only the Worker's rewrite makes servable (a
 * scikit-learn classifier's ZipMap output, which onnxruntime-web cannot return).
 */
async function timeInProcess(ort: typeof ortNode, weights: Uint8Array, manifest: BundledManifest) {
  if (readOnnxModel(weights).operators.some((op) => op.opType === "ZipMap")) return undefined;
  const session = await ort.InferenceSession.create(
    weights,
    ort === (ortWeb as unknown) ? { executionProviders: ["wasm"] } : { intraOpNumThreads: 1 },
  );
  const feeds = Object.fromEntries(
    sampleTensors(manifest).map((t) => [
      t.name,
      new ort.Tensor(t.datatype === "INT64" ? "int64" : "float32", t.data, t.shape),
    ]),
  );
  const times = await sample(async () => {
    const outputs = await session.run(feeds);
    for (const tensor of Object.values(outputs)) tensor.dispose?.();
  });
  await session.release();
  return times;
}

async function fetchText(url: string): Promise<string> {
  return (await expectOk(fetch(url))).text();
}
