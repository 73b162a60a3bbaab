/**
 * Cold start, warm WASM efficiency and what a request costs, per bundled model:
 * - the first request to a fresh isolate, split by the Worker's Server-Timing (onnxruntime's start and the R2 read
 *   run side by side; the session is created after them); for versions with an optimized graph, the same again with
 *   it dropped (the session created from the uploaded graph at the full level), in the same run; and again with V8
 *   keeping the code compiled at the isolate's start, which every isolate Miniflare builds after the Worker's drops
 *   (on Cloudflare: any isolate built in the same process before the first request);
 * - session creation in fresh processes (onnxruntime-web, the same WASM): the file as uploaded at the full
 *   optimization level (what the Worker does) against a graph optimized at the hardware-independent `basic` level
 *   by onnxruntime-node, created with optimizations off; and what the first run costs against a warm one (is a
 *   warm-up run at creation worth it?);
 * - the fixed cost of a run (an identity graph at 1 to 1M elements) and each model's warm run, in the isolate
 *   against onnxruntime-node (native) in the same run;
 * - CPU per warm request (the workerd process's CPU time over sequential requests) and its price at Cloudflare's
 *   published rates.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { writeOnnxModel } from "../../src/onnx/writer.ts";
import type { OptimizationLevel } from "../../src/registry/manifest";
import { adminCall, expectOk } from "../lib/api-client";
import { type BundledManifest, defaultVersion, ROOT, readRepoFile, repoPath } from "../lib/bundled-models";
import { companionOf } from "../lib/companion";
import { fetchAgainIfClosed } from "../lib/fetch-again";
import { sampleInputs } from "../lib/sample-inputs";
import { startWorker, type WorkerHandle } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { median, ms, ratio, sample, serverTiming, table } from "./measure";
import { binaryRequest, binaryTensorRequest, type SampleTensor, sampleTensors, uncached } from "./oip-requests";

ortWeb.env.wasm.numThreads = 1;
/** What the section measures, and how much of it. */
const SETUP = {
  smallBytes: 1_000_000, // the cold-start goal is for models under 1 MB
  goalMs: 150,
  doDelayMs: 40,
  coldRounds: 3,
  variantRounds: 3,
  cpuRequests: 200,
  profileRuns: 1000,
  /** CPU time each per-run figure is measured over (the kernel counts it in 10 ms ticks). */
  minCpuMs: 500,
  /** CPU-time measurements per figure; the lowest counts. */
  cpuRounds: 3,
  identity: "bench-identity",
  identitySizes: [1, 1_000, 100_000, 1_000_000],
  /**
   * The experiment's V8 flag: nothing drops the WebAssembly code compiled before the first request (as on a Cloudflare
   * process where no other isolate starts in between). Cloudflare's runtime takes no V8 flags.
   */
  keepCompiledCode: ["--no-flush-liftoff-code"],
};

/** Cloudflare's published prices (Workers Paid, Standard usage model), beyond the included allotments. */
export const WORKERS_PRICES = {
  read: "2026-12-06",
  page: "https://developers.cloudflare.com/workers/platform/pricing/",
  perMillionRequests: 0.3,
  perMillionCpuMs: 0.02,
};
/** The nearest Workers AI model per bundled model, at its published price (pricing page dated 2026-08-28). */
const WORKERS_AI: Record<string, string> = {
  "bert-fixture": "@cf/baai/bge-small-en-v1.5: $0.020 per M input tokens",
  "lid-176": "@cf/huggingface/distilbert-sst-2-int8 (sentiment): $0.026 per M input tokens",
  "mnist-digits": "@cf/microsoft/resnet-50: $2.51 per M images",
  "ppocr-cls": "@cf/microsoft/resnet-50: $2.51 per M images",
  "silero-vad": "none for VAD (nearest audio model: @cf/pipecat-ai/smart-turn-v2, $0.00033795 per audio minute)",
};

export async function benchColdStart({ manifests, log, port, stateDir }: BenchContext): Promise<string> {
  const small = manifests.filter((m) => defaultVersion(m).bytes < SETUP.smallBytes);
  const persistTo = stateDir();
  const names = small.map((m) => m.name);
  // Only the first start seeds. A later one does not: seeding a stored model still sends the isolate admin calls
  // (its manifest read and checked, its versions looked up), after which its first inference is no longer the
  // isolate's first request; and it would put back an optimized graph the bench dropped.
  const start = (ortStart: OrtStart = "isolate", extraV8Flags: readonly string[] = []) =>
    startWorker({ port: port(3), persistTo, vars: { TENANCY: "off", ORT_START: ortStart }, seed: [], extraV8Flags });
  const restart = () => start("isolate");
  /** The best of a few first requests, each to a fresh isolate started `how`. */
  const coldRounds = async (
    what: string,
    how: () => Promise<WorkerHandle>,
    request: (on: WorkerHandle) => Promise<ColdFigures>,
  ) => {
    const rounds: ColdFigures[] = [];
    for (let round = 0; round < SETUP.coldRounds; round++) {
      log(`${what} (${round + 1}/${SETUP.coldRounds})`);
      await server.stop();
      server = await how();
      rounds.push(await request(server));
    }
    return fastest(rounds);
  };

  let server = await startWorker({ port: port(3), persistTo, vars: { TENANCY: "off" }, seed: names });
  const cold: ColdPair[] = [];
  const keptCode: ColdFigures[] = [];
  const withoutOptimized: ColdFigures[] = [];
  try {
    for (const manifest of small) {
      const best = {} as ColdPair;
      for (const ortStart of ["request", "isolate"] as const) {
        best[ortStart] = await coldRounds(
          `cold first request: ${manifest.name}, ORT_START=${ortStart}`,
          () => start(ortStart),
          (on) => coldRequest(on, manifest),
        );
      }
      cold.push(best);
      keptCode.push(
        await coldRounds(
          `cold first request, compiled code kept: ${manifest.name}`,
          () => start("isolate", SETUP.keepCompiledCode),
          (on) => coldRequest(on, manifest),
        ),
      );
      // the same (onnxruntime started with the isolate), its version served from the uploaded graph: the optimized
      // graph dropped, then put back
      const optimized = await optimizedGraphOf(server, manifest);
      if (!optimized) continue;
      await optimized.drop(server);
      withoutOptimized.push(
        await coldRounds(`cold first request without its optimized graph: ${manifest.name}`, restart, (on) =>
          coldRequest(on, manifest),
        ),
      );
      await optimized.put(server);
    }
    await server.stop();
    server = await start();
    const metered = await meteredColdRequests(small, port(4), stateDir(), log);

    log("fixed cost of a run: an identity graph");
    const identity = await identityFigures(server);
    const warm = [];
    for (const manifest of small) {
      log(`warm run and CPU per request: ${manifest.name}`);
      warm.push(await warmFigures(server, manifest));
    }
    // the identity graph is stored now: its first session in fresh isolates, started either way, and with the code
    // compiled at the start kept
    const firstSession = {} as FirstSessions;
    for (const ortStart of ["request", "isolate"] as const) {
      firstSession[ortStart] = await coldRounds(
        `first session in a fresh isolate: the identity graph, ORT_START=${ortStart}`,
        () => start(ortStart),
        coldIdentityRequest,
      );
    }
    firstSession.kept = await coldRounds(
      "first session in a fresh isolate: the identity graph, compiled code kept",
      () => start("isolate", SETUP.keepCompiledCode),
      coldIdentityRequest,
    );
    log("session creation variants in fresh processes");
    const variants = [];
    for (const manifest of small) variants.push(await variantFigures(manifest, stateDir(), log));
    return render(cold, keptCode, withoutOptimized, metered, identity, warm, firstSession, variants);
  } finally {
    await server.stop();
  }
}

type OrtStart = "isolate" | "request";

interface ColdFigures {
  model: string;
  bytes: number;
  total: number;
  timing: Record<string, number>;
  /** onnxruntime's start when the isolate's start did it (not part of `total`). */
  isolateStartMillis?: number;
}

/** One model's best cold first request with onnxruntime started by the request (before) and by the isolate (now). */
type ColdPair = Record<OrtStart, ColdFigures>;

/** The identity graph's first request both ways, and started with the isolate with the compiled code kept. */
type FirstSessions = ColdPair & { kept: ColdFigures };

/**
 * The optimized graph the seeding stored for a model's default version (none for quantized graphs and those the
 * server could not compare), with calls that drop it and put it back.
 */
async function optimizedGraphOf(server: WorkerHandle, manifest: BundledManifest) {
  const version = manifest.aliases.default!;
  const stored = await adminCall<{
    versions: Record<string, { optimized?: { bytes: number; level: OptimizationLevel } }>;
  }>(server, "GET", `/admin/models/${manifest.name}`);
  const level = stored.versions[version]?.optimized?.level;
  if (!level) return undefined;
  const companion = await companionOf(await readRepoFile(defaultVersion(manifest).file), level);
  if (!("graph" in companion)) return undefined;
  const path = `/admin/models/${manifest.name}/versions/${version}/optimized`;
  return {
    bytes: companion.graph.byteLength,
    level,
    drop: (on: WorkerHandle) => adminCall(on, "DELETE", path),
    put: (on: WorkerHandle) => adminCall(on, "PUT", `${path}?level=${level}`, companion.graph),
  };
}

/** The quickest of a few rounds. */
function fastest(rounds: ColdFigures[]): ColdFigures {
  return rounds.sort((x, y) => x.total - y.total)[0]!;
}

async function coldRequest(server: WorkerHandle, manifest: BundledManifest): Promise<ColdFigures> {
  const { headers, body } = uncached(binaryRequest(manifest, server.apiKey));
  return timedColdRequest(server, manifest.name, defaultVersion(manifest).bytes, { method: "POST", headers, body });
}

/** The identity graph's first request: one element, so that its session and run are onnxruntime's fixed costs. */
function coldIdentityRequest(server: WorkerHandle): Promise<ColdFigures> {
  const body = JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [0.5] }] });
  const headers = { "Content-Type": "application/json", "Cache-Control": "no-store" };
  return timedColdRequest(server, SETUP.identity, 0, { method: "POST", headers, body });
}

async function timedColdRequest(
  server: WorkerHandle,
  model: string,
  bytes: number,
  init: RequestInit,
): Promise<ColdFigures> {
  const started = performance.now();
  const url = `${server.baseUrl}/v2/models/${model}/infer`;
  const response = await expectOk(fetch(url, init));
  await response.arrayBuffer();
  const total = performance.now() - started;
  const timing = serverTiming(response.headers.get("server-timing"));
  const runtime = await adminCall<{ ortInitMillis: number; ortStartedBy: OrtStart | null }>(
    server,
    "GET",
    "/admin/runtime",
  );
  const isolateStartMillis = runtime.ortStartedBy === "isolate" ? runtime.ortInitMillis : undefined;
  return { model, bytes, total, timing, isolateStartMillis };
}

/**
 * The same first requests from an exact-metered tenant whose Durable Object is `DO_DELAY_MS` away: the admission's
 * round trip overlaps onnxruntime's start and the weights' read.
 */
async function meteredColdRequests(
  small: BundledManifest[],
  port: number,
  persistTo: string,
  log: (line: string) => void,
): Promise<ColdFigures[]> {
  const vars = { DO_DELAY_MS: String(SETUP.doDelayMs) };
  const seed = small.map((m) => m.name);
  // the first start uploads the models, and an upload leaves its session warm: measure from the next start on, which
  // does not seed (the first inference is the isolate's first request; the tenant's key is made after it)
  const seeded = await startWorker({ port, persistTo, vars, seed });
  const apiKey = seeded.apiKey;
  await seeded.stop();
  const figures: ColdFigures[] = [];
  for (const manifest of small) {
    log(`cold first metered request (DO_DELAY_MS=${SETUP.doDelayMs}): ${manifest.name}`);
    const server = await startWorker({ port, persistTo, vars, seed: [], apiKey });
    try {
      figures.push(await coldRequest(server, manifest));
    } finally {
      await server.stop();
    }
  }
  return figures;
}

/** Per-run time of an identity graph in the isolate, in onnxruntime-web in Node and in onnxruntime-node. */
async function identityFigures(server: WorkerHandle) {
  const value = { name: "x", elemType: 1, dims: ["n"] };
  const model = writeOnnxModel({
    inputs: [value],
    outputs: [{ ...value, name: "y" }],
    nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"] }],
  });
  await adminCall(server, "PUT", `/admin/models/${SETUP.identity}`, { task: "tensor" });
  await expectOk(
    fetch(`${server.baseUrl}/admin/models/${SETUP.identity}/versions/1`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${server.adminToken}`, "Content-Type": "application/octet-stream" },
      body: model,
    }),
  );
  const web = await ortWeb.InferenceSession.create(model, { executionProviders: ["wasm"] });
  const native = await ortNode.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const rows = [];
  for (const n of SETUP.identitySizes) {
    const data = new Float32Array(n).fill(1);
    const isolate = await profile(server, SETUP.identity, "1", [{ name: "x", datatype: "FP32", shape: [n], data }]);
    const inWeb = await cpuPerCall(() => web.run({ x: new ortWeb.Tensor("float32", data, [n]) }));
    const inNative = await cpuPerCall(() => native.run({ x: new ortNode.Tensor("float32", data, [n]) }));
    rows.push({ n, isolate, web: inWeb, native: inNative });
  }
  await web.release();
  await native.release();
  return rows;
}

/**
 * CPU milliseconds per `runtime.run` inside the isolate: the workerd process's CPU time over admin profile calls
 * (1,000 runs each, until at least `SETUP.minCpuMs` of CPU is spent), the lowest of `SETUP.cpuRounds`. CPU time, not
 * the isolate's clock: workerd's clock only moves on I/O, and CPU time is what the machine's load inflates least.
 */
async function profile(server: WorkerHandle, model: string, version: string, tensors: SampleTensor[]): Promise<number> {
  const { headers, body } = binaryTensorRequest(tensors, server.adminToken);
  const url = `${server.baseUrl}/admin/models/${model}/versions/${version}/profile?iterations=${SETUP.profileRuns}`;
  // sent again if workerd closed the kept-alive connection as it was reused (a profile call changes nothing)
  const call = async () =>
    (await expectOk(fetchAgainIfClosed(url, { method: "POST", headers, body: new Uint8Array(body) }))).json();
  await call(); // warm-up
  const workerd = workerdPids();
  return lowestOf(async () => {
    const before = cpuMillis(workerd);
    let runs = 0;
    while (cpuMillis(workerd) - before < SETUP.minCpuMs && runs < 50 * SETUP.profileRuns) {
      await call();
      runs += SETUP.profileRuns;
    }
    return (cpuMillis(workerd) - before) / runs;
  });
}

/**
 * CPU milliseconds per call of `fn` in this process (after a warm-up), over at least `SETUP.minCpuMs` of CPU, the
 * lowest of `SETUP.cpuRounds`.
 */
async function cpuPerCall(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  return lowestOf(async () => {
    const started = process.cpuUsage();
    const spent = () => {
      const { user, system } = process.cpuUsage(started);
      return (user + system) / 1000;
    };
    let calls = 0;
    while (spent() < SETUP.minCpuMs && calls < 200_000) {
      for (let i = 0; i < 20; i++) await fn();
      calls += 20;
    }
    return spent() / calls;
  });
}

/**
 * The lowest of `SETUP.cpuRounds` measurements. Anything else on the machine, a collection, or V8 still moving hot
 * WebAssembly functions to its optimizing tier (in the background, after the warm-up) only ever adds CPU time.
 */
async function lowestOf(measure: () => Promise<number>): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < SETUP.cpuRounds; round++) lowest = Math.min(lowest, await measure());
  return lowest;
}

/** A model's warm run in the isolate and natively, and the workerd process's CPU per warm HTTP request. */
async function warmFigures(server: WorkerHandle, manifest: BundledManifest) {
  const tensors = sampleTensors(manifest);
  const version = manifest.aliases.default!;
  const isolate = await profile(server, manifest.name, version, tensors);
  const weights = await readRepoFile(defaultVersion(manifest).file);
  // served from an `extended` graph: the same run from the `basic` one, then the served graph put back
  const served = await optimizedGraphOf(server, manifest);
  let basic: number | undefined;
  if (served?.level === "extended") {
    const companion = await companionOf(weights, "basic");
    if ("graph" in companion) {
      const path = `/admin/models/${manifest.name}/versions/${version}/optimized?level=basic`;
      await adminCall(server, "PUT", path, companion.graph);
      basic = await profile(server, manifest.name, version, tensors);
      await served.put(server);
    }
  }
  const native = await nativeRun(weights, tensors);
  const request = uncached(binaryRequest(manifest));
  const url = `${server.baseUrl}/v2/models/${manifest.name}/infer`;
  const post = async () => (await expectOk(fetchAgainIfClosed(url, { method: "POST", ...request }))).arrayBuffer();
  await sample(post, { warmup: 50, iterations: 1 });
  const workerd = workerdPids();
  const before = cpuMillis(workerd);
  const http = await sample(post, { warmup: 0, iterations: SETUP.cpuRequests });
  const cpu = (cpuMillis(workerd) - before) / SETUP.cpuRequests;
  return { model: manifest.name, isolate, basic, level: served?.level, native, httpP50: http.p50, cpu };
}

async function nativeRun(weights: Uint8Array, tensors: ReturnType<typeof sampleTensors>): Promise<number | undefined> {
  try {
    const session = await ortNode.InferenceSession.create(weights, { intraOpNumThreads: 1 });
    const feeds = Object.fromEntries(
      tensors.map((t) => [t.name, new ortNode.Tensor(t.datatype === "INT64" ? "int64" : "float32", t.data, t.shape)]),
    );
    const perRun = await cpuPerCall(() => session.run(feeds));
    await session.release();
    return perRun;
  } catch {
    return undefined; // e.g. a graph only the Worker's rewrite makes servable
  }
}

/** workerd processes this benchmark started (Miniflare runs workerd as a child of this process). */
function workerdPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [comm, rest] = [
        stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
        stat.slice(stat.lastIndexOf(")") + 2),
      ];
      if (comm === "workerd" && Number(rest.split(" ")[1]) === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** User + system CPU milliseconds of these processes (Linux: clock ticks of 10 ms). */
function cpuMillis(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * 10;
}

type Level = "disabled" | "all";
interface Variant {
  create: number;
  first: number;
  warm: number;
}

/**
 * The uploaded file at the full level (as the Worker creates sessions) against the `basic`-optimized graph with
 * optimizations off, each in fresh processes (median of rounds).
 */
async function variantFigures(manifest: BundledManifest, dir: string, log: (line: string) => void) {
  const original = repoPath(defaultVersion(manifest).file);
  await readRepoFile(defaultVersion(manifest).file);
  const optimized = join(dir, `${manifest.name}.basic.onnx`);
  const feeds = join(dir, `${manifest.name}.feeds.json`);
  const inputs = sampleInputs(manifest).map((i) => ({
    name: i.name,
    type: i.datatype === "INT64" ? "int64" : "float32",
    shape: i.shape,
    data: i.data,
  }));
  writeFileSync(feeds, JSON.stringify(inputs));
  try {
    const session = await ortNode.InferenceSession.create(original, {
      graphOptimizationLevel: "basic",
      optimizedModelFilePath: optimized,
      intraOpNumThreads: 1,
    });
    await session.release();
    const run = (file: string, level: Level): Variant => {
      const out = execFileSync(
        process.execPath,
        ["--import", "tsx", "scripts/bench/session-variant.ts", file, level, feeds],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 120_000,
          stdio: ["ignore", "pipe", "ignore"], // a graph onnxruntime-web cannot run fails with pages of its bundle
        },
      );
      return JSON.parse(out.trim().split("\n").at(-1)!) as Variant;
    };
    const asUploaded: Variant[] = [];
    const preOptimized: Variant[] = [];
    for (let round = 0; round < SETUP.variantRounds; round++) {
      asUploaded.push(run(original, "all"));
      preOptimized.push(run(optimized, "disabled"));
    }
    const mid = (list: Variant[], key: keyof Variant) => median(list.map((v) => v[key]));
    const figures = (list: Variant[]) => ({
      create: mid(list, "create"),
      first: mid(list, "first"),
      warm: mid(list, "warm"),
    });
    return {
      model: manifest.name,
      bytes: defaultVersion(manifest).bytes,
      optimizedBytes: readFileSync(optimized).byteLength,
      asUploaded: figures(asUploaded),
      preOptimized: figures(preOptimized),
    };
  } catch (error) {
    log(`  ${manifest.name}: ${String(error).split("\n")[0]}`);
    return { model: manifest.name, bytes: defaultVersion(manifest).bytes };
  } finally {
    rmSync(optimized, { force: true });
  }
}

function render(
  cold: ColdPair[],
  keptCode: ColdFigures[],
  withoutOptimized: ColdFigures[],
  metered: ColdFigures[],
  identity: Awaited<ReturnType<typeof identityFigures>>,
  warm: Awaited<ReturnType<typeof warmFigures>>[],
  firstSession: FirstSessions,
  variants: Awaited<ReturnType<typeof variantFigures>>[],
): string {
  const stage = (t: Record<string, number>, name: string) => (t[name] === undefined ? "–" : ms(t[name]));
  /** The model's cold first request as served (onnxruntime started with the isolate), which variants compare with. */
  const servedOf = (model: string) => cold.find((c) => c.isolate.model === model)!.isolate;
  /** "a / b" of two cold requests: their client totals, or one Server-Timing stage. */
  const pair = (a: ColdFigures, b: ColdFigures, name?: string) =>
    name ? `${stage(a.timing, name)} / ${stage(b.timing, name)}` : `${ms(a.total)} / ${ms(b.total)}`;
  const fixed = identity[0]!;
  const largest = identity.at(-1)!;
  const perMiB = (t: (r: (typeof identity)[number]) => number) => ((t(largest) - t(fixed)) / (largest.n * 4)) * 2 ** 20;
  const cost = (cpu: number) => WORKERS_PRICES.perMillionRequests + cpu * WORKERS_PRICES.perMillionCpuMs;
  return [
    "## Cold start, warm WASM efficiency and cost per request",
    "",
    `Models under 1 MB. **Cold**: the first request to a fresh isolate (the Worker restarted on the same state, nothing sent to it before; the best of ${SETUP.coldRounds}),`,
    "`TENANCY=off`, split by the Worker's Server-Timing. **Now** (`ORT_START=isolate`, the default): onnxruntime and the",
    "request path's own code start with the isolate, before the server listens; `ORT init at isolate start` is that start's",
    "time, outside the request. **Before** (`ORT_START=request`, measured in the same run): the request starts onnxruntime and",
    "reads the weights side by side from the moment it knows its model, and creates the session once both are done. `in the",
    "Worker` is the Worker's own Server-Timing total; the rest of the client's total is loopback and the local routing Workers",
    "Miniflare puts in front of it (cold too; Cloudflare has none of them). `resolve` reads and checks the manifest (the",
    "isolate's first R2 read), `R2 read` is the weights' read. `session create` and `first run` include compiling the",
    "WebAssembly code they use (below: why the isolate's start does not spare that).",
    `Goal: client total ≤ ${SETUP.goalMs} ms on this machine.`,
    "",
    table(
      [
        "model",
        "file KB",
        "client total ms",
        "goal",
        "in the Worker",
        "ORT init at isolate start",
        "resolve",
        "R2 read",
        "session create",
        "first run",
        "before: client total ms",
        "before: ORT init",
        "now / before",
      ],
      cold.map(({ isolate: c, request: before }) => [
        c.model,
        (c.bytes / 1000).toFixed(0),
        ms(c.total),
        c.total <= SETUP.goalMs ? "met" : `${ratio(c.total, SETUP.goalMs)} of it`,
        stage(c.timing, "total"),
        c.isolateStartMillis === undefined ? "–" : ms(c.isolateStartMillis),
        stage(c.timing, "resolve"),
        stage(c.timing, "r2-read"),
        stage(c.timing, "session"),
        stage(c.timing, "infer"),
        ms(before.total),
        stage(before.timing, "ort-init"),
        ratio(c.total, before.total),
      ]),
    ),
    "",
    "**Why the first session still compiles, and what that costs.** workerd tells V8 that memory is under moderate",
    "pressure as it builds each isolate, and the V8 it ships answers by dropping the code its baseline compiler (Liftoff)",
    "made for every WebAssembly module in the process (`WasmEngine::FlushLiftoffCode` under `Heap::CheckMemoryPressure`, from",
    "`Worker::Isolate`'s constructor: a debugger's stacks, 2026-12-06). No garbage collection is involved. Locally, Miniflare",
    "builds the isolates of its own Workers after the Worker's (13 of them here), so onnxruntime's start-up code is always",
    "dropped before the first request, and the first session compiles it again. On Cloudflare a process hosts many",
    "isolates: any isolate built in the Worker's process between its start and its first request does the same. The",
    `identity graph's first request in a fresh isolate (best of ${SETUP.coldRounds}): its session took ${stage(firstSession.isolate.timing, "session")} ms to create when`,
    `onnxruntime started with the isolate, ${stage(firstSession.kept.timing, "session")} ms when workerd was given V8's \`--no-flush-liftoff-code\` (the code the start`,
    `compiled is kept), and ${stage(firstSession.request.timing, "session")} ms when the request started onnxruntime itself just before (\`ort-init\``,
    `${stage(firstSession.request.timing, "ort-init")} ms). Each model's first request both ways, in the same run (\`kept\`: with that flag, a local`,
    "experiment: Cloudflare's runtime takes no V8 flags). A first request on Cloudflare falls between the two: `as measured`",
    "when some isolate started in its process first, `kept` when none did. The goal above is judged on `as measured`.",
    "",
    table(
      [
        "model",
        "client total ms: as measured / kept",
        "kept / as measured",
        "session create ms: as measured / kept",
        "first run ms: as measured / kept",
      ],
      keptCode.map((kept) => {
        const served = servedOf(kept.model);
        return [
          kept.model,
          pair(served, kept),
          ratio(kept.total, served.total),
          pair(served, kept, "session"),
          pair(served, kept, "infer"),
        ];
      }),
    ),
    "",
    "**With and without the optimized graph**, in the same run: a model whose default version carries its graph optimized",
    "ahead of time (the seeding stores one unless the graph is quantized or the server could not compare it) is measured",
    "cold as served (the table above, `now`: session created from the optimized graph, optimizations off) and cold again with",
    "the optimized graph dropped (session created from the uploaded graph at the full level), the best of",
    `${SETUP.coldRounds} each, onnxruntime started with the isolate in both.`,
    "",
    table(
      [
        "model",
        "client total ms: optimized / uploaded",
        "ratio",
        "session create ms: optimized / uploaded",
        "ratio",
        "first run ms: optimized / uploaded",
      ],
      withoutOptimized.map((plain) => {
        const served = servedOf(plain.model);
        const session = (c: ColdFigures) => c.timing.session;
        return [
          plain.model,
          pair(served, plain),
          ratio(served.total, plain.total),
          pair(served, plain, "session"),
          session(served) !== undefined && session(plain) !== undefined
            ? ratio(session(served)!, session(plain)!)
            : "–",
          pair(served, plain, "infer"),
        ];
      }),
    ),
    `Default versions served as uploaded (no optimized graph): ${
      cold
        .filter((c) => !withoutOptimized.some((p) => p.model === c.isolate.model))
        .map((c) => c.isolate.model)
        .join(", ") || "none"
    }.`,
    "",
    `The same first requests from an exact-metered tenant with \`DO_DELAY_MS=${SETUP.doDelayMs}\` (its Durable Object a region away; one`,
    "server start per model, onnxruntime started with the isolate): `auth` is the admission's round trip, which the R2 read",
    "overlaps.",
    "",
    table(
      ["model", "client total ms", "auth", "R2 read", "session create", "first run", "metered − open ms"],
      metered.map((m) => {
        const open = cold.find((c) => c.isolate.model === m.model)?.isolate;
        return [
          m.model,
          ms(m.total),
          stage(m.timing, "auth"),
          stage(m.timing, "r2-read"),
          stage(m.timing, "session"),
          stage(m.timing, "infer"),
          open ? ms(m.total - open.total) : "–",
        ];
      }),
    ),
    "",
    `**Session creation** in fresh Node processes running onnxruntime-web (the Worker's WASM build, one thread; median of ${SETUP.variantRounds}):`,
    "the file as uploaded at the full optimization level (what the Worker does without an optimized graph) against the same graph optimized at",
    "the hardware-independent `basic` level by onnxruntime-node (`optimizedModelFilePath`) and created with optimizations",
    "off. `first run` against `warm run` says what a warm-up run at creation would move off the first request.",
    "",
    table(
      [
        "model",
        "create: as uploaded, all / pre-optimized, off ms",
        "create ratio",
        "first run / warm run ms (as uploaded)",
        "warm run: as uploaded / pre-optimized ms",
      ],
      variants.map((v) =>
        "asUploaded" in v && v.asUploaded && v.preOptimized
          ? [
              v.model,
              `${ms(v.asUploaded.create)} / ${ms(v.preOptimized.create)}`,
              ratio(v.preOptimized.create, v.asUploaded.create),
              `${ms(v.asUploaded.first)} / ${ms(v.asUploaded.warm)}`,
              `${ms(v.asUploaded.warm)} / ${ms(v.preOptimized.warm)}`,
            ]
          : [v.model, "–", "–", "–", "–"],
      ),
    ),
    "",
    "**Fixed cost of a run**: an identity graph (`y = x`, FP32) at 1 to 1M elements, in CPU ms per run. `in isolate` is",
    "`runtime.run` inside the Worker (the admin profile route, 1,000 runs a call: our tensors in, the scheduler, the memory",
    "plan, `session.run`, tensors out), as the workerd process's CPU time over at least 0.5 s of it; onnxruntime-web in",
    "Node and onnxruntime-node (native, one thread) run the same graph in this process, timed by its CPU time the same way.",
    "Each figure is the lowest of 3 such measurements after a warm-up: load, collections and V8 still moving hot WebAssembly",
    "functions to its optimizing tier (in the background) only ever add CPU time.",
    "",
    table(
      ["elements", "in isolate CPU ms", "onnxruntime-web in Node CPU ms", "native CPU ms", "isolate / native"],
      identity.map((r) => [
        r.n.toLocaleString("en"),
        ms(r.isolate),
        ms(r.web),
        ms(r.native),
        ratio(r.isolate, r.native),
      ]),
    ),
    "",
    `Per run with 1 element: ${ms(fixed.isolate)} ms in the isolate, ${ms(fixed.web)} ms in onnxruntime-web alone, ${ms(fixed.native)} ms`,
    `native. Copies in and out add about ${ms(perMiB((r) => r.isolate))} ms per MiB of input in the isolate (${ms(perMiB((r) => r.native))} native).`,
    "",
    "**Warm run and cost**: each model's sample request. `in isolate` and `native`: CPU ms per run, measured as above.",
    "`graph`: what the isolate's session was made from: the version's graph optimized ahead of time at that level (the",
    "seeding stores `extended`, fused into the CPU kernels, when the server accepts it), or the uploaded one. `with the",
    "basic graph`: the same run, in the same isolate, once the `basic` graph replaced it.",
    `CPU per request = the workerd process's user + system CPU over ${SETUP.cpuRequests} sequential uncached binary HTTP requests`,
    "(it includes workerd's own HTTP handling, so it bounds the billed CPU from above). Cost per million requests at",
    `Cloudflare Workers' published Standard prices (${WORKERS_PRICES.page}, read ${WORKERS_PRICES.read}):`,
    `$${WORKERS_PRICES.perMillionRequests} per million requests + $${WORKERS_PRICES.perMillionCpuMs} per million CPU ms, beyond the Paid plan's included`,
    "10 M requests and 30 M CPU ms a month. Workers AI's published price of the nearest model for the same task",
    "(https://developers.cloudflare.com/workers-ai/platform/pricing/, dated 2026-08-28) is listed where one exists.",
    "",
    table(
      [
        "model",
        "graph",
        "in isolate CPU ms",
        "with the basic graph",
        "extended / basic",
        "native CPU ms",
        "isolate / native",
        "HTTP p50 ms",
        "CPU ms / request",
        "$ per M requests",
        "nearest Workers AI model",
      ],
      warm.map((w) => [
        w.model,
        w.level ?? "uploaded",
        ms(w.isolate),
        w.basic === undefined ? "–" : ms(w.basic),
        w.basic === undefined ? "–" : ratio(w.isolate, w.basic),
        ms(w.native),
        w.native === undefined ? "–" : ratio(w.isolate, w.native),
        ms(w.httpP50),
        ms(w.cpu),
        `$${cost(w.cpu).toFixed(3)}`,
        WORKERS_AI[w.model] ?? "none",
      ]),
    ),
  ].join("\n");
}
