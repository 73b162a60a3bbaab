// Issue 2 figures: per bundled model, cold first request split by stage, WASM memory, and warm latency over HTTP
// next to session.run inside the Worker's isolate, onnxruntime-web in Node and onnxruntime-node (native).
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { readWeights } from "../lib/bundled-models.mjs";
import { binaryRequest, jsonRequest, sampleTensors, uncached } from "./oip-requests.mjs";
import { mib, ms, ratio, sample, serverTiming, table } from "./measure.mjs";

ortWeb.env.wasm.numThreads = 1;

export async function benchInference({ server, restart, manifests, log }) {
  const cold = [];
  for (const manifest of manifests) {
    await restart();
    log(`cold first request: ${manifest.name}`);
    cold.push(await coldRequest(server(), manifest));
  }

  const health = await sample(() => fetchText(`${server().baseUrl}/v2/health/live`));
  const warm = [];
  for (const manifest of manifests) {
    log(`warm latency: ${manifest.name}`);
    warm.push(await warmFigures(server(), manifest));
  }

  return [
    "## Inference (issue 2)",
    "",
    "Cold first request after a restart of `wrangler dev` (a fresh isolate), split by the Worker's `Server-Timing`;",
    "WASM memory read from `GET /admin/runtime` right after it (the heap includes ORT itself and its warm-up model).",
    "",
    table(
      ["model", "file MB", "client total ms", "ORT init", "R2 read", "session create", "first run", "WASM heap MiB", "session charge MiB"],
      cold.map((c) => [c.model, (c.bytes / 1e6).toFixed(1), ms(c.total), ms(c.timing["ort-init"]), ms(c.timing["r2-read"]), ms(c.timing.session), ms(c.timing.infer), mib(c.wasmMemoryBytes), mib(c.chargedBytes)]),
    ),
    "",
    `Warm, sequential requests on loopback (20 warm-up, 300 timed; \`Cache-Control: no-store\`, so each runs the model). Baseline \`GET /v2/health/live\`: p50 ${ms(health.p50)} ms, p99 ${ms(health.p99)} ms.`,
    "`in-isolate run` is the mean `session.run` inside the Worker (`POST /admin/models/{model}/versions/{version}/profile`, 300 iterations);",
    "HTTP overhead = HTTP binary p50 − in-isolate run (target: under 1 ms); of that, `wrangler dev`'s own HTTP path costs what the",
    "no-op health request costs, so `Worker overhead` = HTTP overhead − health p50 is what our code adds around `session.run`.",
    "",
    table(
      ["model", "HTTP binary p50 / p99 ms", "HTTP JSON p50 / p99 ms", "in-isolate run ms", "HTTP overhead ms", "Worker overhead ms", "ort-web in Node p50 ms", "ort-node native p50 ms", "workerd run / Node web run", "web (Node) / native"],
      warm.map((w) => [
        w.model,
        `${ms(w.binary.p50)} / ${ms(w.binary.p99)}`,
        `${ms(w.json.p50)} / ${ms(w.json.p99)}`,
        ms(w.isolateMean),
        ms(w.binary.p50 - w.isolateMean),
        ms(w.binary.p50 - w.isolateMean - health.p50),
        ms(w.web.p50),
        ms(w.native.p50),
        ratio(w.isolateMean, w.web.p50),
        ratio(w.web.p50, w.native.p50),
      ]),
    ),
  ].join("\n");
}

async function coldRequest(server, manifest) {
  const { headers, body } = binaryRequest(manifest, server.apiKey);
  const started = performance.now();
  const response = await fetch(`${server.baseUrl}/v2/models/${manifest.name}/infer`, { method: "POST", headers, body });
  await expectOk(response);
  const total = performance.now() - started;
  const stats = await (await fetch(`${server.baseUrl}/admin/runtime`, { headers: { Authorization: `Bearer ${server.adminToken}` } })).json();
  const version = manifest.versions[manifest.aliases.default];
  const session = stats.sessions.find((s) => s.digest === version.sha256);
  return { model: manifest.name, bytes: version.bytes, total, timing: serverTiming(response.headers.get("server-timing")), wasmMemoryBytes: stats.wasmMemoryBytes, chargedBytes: session?.chargedBytes ?? 0 };
}

async function warmFigures(server, manifest) {
  const url = `${server.baseUrl}/v2/models/${manifest.name}/infer`;
  const binary = uncached(binaryRequest(manifest, server.apiKey));
  const json = uncached(jsonRequest(manifest, server.apiKey));
  const post = (request) => async () => expectOk(await fetch(url, { method: "POST", ...request }));
  const binaryTimes = await sample(post(binary));
  const jsonTimes = await sample(post(json));

  const version = manifest.aliases.default;
  const profileUrl = `${server.baseUrl}/admin/models/${manifest.name}/versions/${version}/profile?iterations=300`;
  const profile = await (await expectOk(await fetch(profileUrl, { method: "POST", headers: { ...binary.headers, Authorization: `Bearer ${server.adminToken}` }, body: binary.body }))).json();

  const weights = await readWeights(manifest.versions[version].file);
  return { model: manifest.name, binary: binaryTimes, json: jsonTimes, isolateMean: profile.meanMillis, web: await timeInProcess(ortWeb, weights, manifest), native: await timeInProcess(ortNode, weights, manifest) };
}

async function timeInProcess(ort, weights, manifest) {
  const session = await ort.InferenceSession.create(weights, ort === ortWeb ? { executionProviders: ["wasm"] } : {});
  const feeds = Object.fromEntries(sampleTensors(manifest).map((t) => [t.name, new ort.Tensor(t.datatype === "INT64" ? "int64" : "float32", t.data, t.shape)]));
  const times = await sample(async () => {
    const outputs = await session.run(feeds);
    for (const tensor of Object.values(outputs)) tensor.dispose?.();
  });
  await session.release();
  return times;
}

async function fetchText(url) {
  return (await expectOk(await fetch(url))).text();
}

async function expectOk(response) {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  return response;
}
