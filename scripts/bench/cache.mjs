// Issue 4 figures: response-cache hit vs miss for the OCR recognizer (latency and requests/second), next to a bare
// Worker that returns a constant from KV, all in this run. Throughput is measured with autocannon on loopback,
// bounded in time; latency with sequential requests.
import autocannon from "autocannon";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../lib/bundled-models.mjs";
import { startDevServer, startWrangler } from "../lib/dev-server.mjs";
import { binaryRequest } from "./oip-requests.mjs";
import { ms, ratio, sample, table } from "./measure.mjs";

const SECONDS = 8;
const CONNECTIONS = 8;
const MISSES = 40;

export async function benchCache({ server, manifests, log, port }) {
  const manifest = manifests.find((m) => m.name === "ppocr-rec");
  const states = [mkdtempSync(join(tmpdir(), "edge-maas-bench-open-")), mkdtempSync(join(tmpdir(), "edge-maas-bench-bare-"))];
  const open = await startDevServer({ port: port + 2, persistTo: states[0], vars: { TENANCY: "off" } });
  const bare = await startWrangler({ config: join(ROOT, "scripts/bench/bare-kv/wrangler.toml"), port: port + 3, persistTo: states[1], probePath: "/" });
  try {
    const rows = [];
    const throughput = {};
    let hitBytes = 0;
    for (const [label, target] of [["TENANCY=required", server()], ["TENANCY=off", open]]) {
      log(`cache: ${label} hit vs miss latency`);
      const url = `${target.baseUrl}/v2/models/${manifest.name}/infer`;
      const apiKey = target === open ? undefined : target.apiKey;
      const hitRequest = binaryRequest(manifest, apiKey);
      let variant = 0;
      const miss = await sample(async () => {
        const { headers, body } = binaryRequest(manifest, apiKey, ++variant);
        await expectCache(await fetch(url, { method: "POST", headers, body }), "MISS");
      }, { warmup: 2, iterations: MISSES });
      hitBytes = (await (await fetch(url, { method: "POST", ...hitRequest })).arrayBuffer()).byteLength;
      const hit = await sample(async () => expectCache(await fetch(url, { method: "POST", ...hitRequest }), "HIT"), { warmup: 20, iterations: 300 });
      log(`cache: ${label} hit throughput`);
      throughput[label] = await requestsPerSecond({ url, method: "POST", headers: hitRequest.headers, body: hitRequest.body });
      rows.push([label, `${ms(miss.p50)} / ${ms(miss.p99)}`, `${ms(hit.p50)} / ${ms(hit.p99)}`, ratio(miss.p50, hit.p50), throughput[label].toFixed(0)]);
    }
    log("cache: bare KV Worker throughput");
    const bareUrl = `${bare.baseUrl}/?bytes=${hitBytes}`;
    await (await fetch(bareUrl)).arrayBuffer();
    const bareRps = await requestsPerSecond({ url: bareUrl, method: "GET" });
    return [
      "## Response cache (issue 4)",
      "",
      `\`ppocr-rec\` binary OIP requests (a 3×48×320 line image in, 1 MB of binary output). Misses use a new image each time (${MISSES}`,
      `sequential); hits repeat one (300 sequential). Throughput: autocannon, ${CONNECTIONS} connections for ${SECONDS} s, hits only. The floor is a bare`,
      "Worker under the same `wrangler dev` that returns a constant of the same size as the hit's body from KV.",
      "",
      table(["server", "miss p50 / p99 ms", "hit p50 / p99 ms", "miss / hit", "hit req/s"], rows),
      "",
      `Bare KV Worker, ${hitBytes} bytes: ${bareRps.toFixed(0)} req/s. Hit throughput against it: TENANCY=off ${ratio(throughput["TENANCY=off"], bareRps)},`,
      `TENANCY=required ${ratio(throughput["TENANCY=required"], bareRps)} (a metered hit still makes its 2 Durable Object calls).`,
    ].join("\n");
  } finally {
    await Promise.all([open.stop(), bare.stop()]);
    for (const state of states) rmSync(state, { recursive: true, force: true });
  }
}

async function expectCache(response, expected) {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  const status = response.headers.get("x-cache");
  await response.arrayBuffer();
  if (status !== expected) throw new Error(`expected X-Cache ${expected}, got ${status}`);
}

async function requestsPerSecond(options) {
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`autocannon: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}
