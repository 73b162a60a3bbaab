/**
 * What the request log line and the metrics add to a warm request: the same requests on two TENANCY=off servers of
 * the same run, one with MONITORING=on (the default) and one with MONITORING=off, in alternating rounds so that
 * machine noise hits both alike. Then the metrics objects' writes per 1,000 requests, read from the
 * `edge_maas_metrics_batches_total` counter of GET /metrics before and after.
 */
import { startWorker, type WorkerHandle } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { ms, sample, summarize, table } from "./measure";
import { type BenchRequest, binaryRequest, uncached } from "./oip-requests";

const MODEL = "silero-vad";
const ROUNDS = 8;
const PER_ROUND = 40;
const WRITE_REQUESTS = 1000;

type OipRequest = BenchRequest;

export async function benchMonitoring({ server, manifests, log, port, stateDir }: BenchContext): Promise<string> {
  const manifest = manifests.find((m) => m.name === MODEL);
  if (!manifest) throw new Error(`the monitoring section needs the bundled ${MODEL}`);
  const on = await server("open");
  log("monitoring: starting a server with MONITORING=off");
  const off = await startWorker({
    port: port(30),
    persistTo: stateDir(),
    vars: { TENANCY: "off", MONITORING: "off" },
    seed: [MODEL],
  });
  try {
    const rows: string[][] = [];
    const requests: [string, OipRequest][] = [
      ["inference (no-store)", uncached(binaryRequest(manifest))],
      ["cache hit", binaryRequest(manifest)],
    ];
    for (const [kind, request] of requests) {
      const times: Record<"on" | "off", number[]> = { on: [], off: [] };
      for (let round = 0; round < ROUNDS; round++) {
        log(`monitoring: ${kind}, round ${round + 1}/${ROUNDS}`);
        const order = round % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const);
        for (const which of order) {
          const baseUrl = which === "on" ? on.baseUrl : off.baseUrl;
          const result = await sample(() => send(baseUrl, request), { warmup: 10, iterations: PER_ROUND });
          times[which].push(...result.times);
        }
      }
      const [a, b] = [summarize(times.on), summarize(times.off)];
      rows.push([
        kind,
        ms(a.p50),
        ms(b.p50),
        `${(a.p50 - b.p50).toFixed(3)}`,
        `${(a.p50 / b.p50).toFixed(3)}×`,
        ms(a.p99 - b.p99),
      ]);
    }

    log(`monitoring: ${WRITE_REQUESTS} requests for the write count`);
    const before = await batches(on);
    const request = uncached(binaryRequest(manifest));
    const started = performance.now();
    for (let i = 0; i < WRITE_REQUESTS; i++) await send(on.baseUrl, request);
    const seconds = (performance.now() - started) / 1000;
    const after = await batches(on); // this read sends the isolate's last partial batch first: counted too
    return [
      "## Monitoring: what the log line and the metrics add",
      "",
      `Warm \`${MODEL}\` binary OIP requests, one at a time, on two \`TENANCY=off\` servers of the same run: \`MONITORING=on\``,
      `(a JSON log line per request and the request added to the isolate's metrics buffer) and \`MONITORING=off\`,`,
      `${ROUNDS} alternating rounds × ${PER_ROUND} requests each (after 10 untimed). Added = on minus off.`,
      "",
      table(["request", "p50 on ms", "p50 off ms", "added p50 ms", "on / off", "added p99 ms"], rows),
      "",
      `Metrics objects' writes: ${after - before} batches for ${WRITE_REQUESTS} sequential requests (${seconds.toFixed(1)} s,`,
      `one model, one isolate), i.e. ${(((after - before) / WRITE_REQUESTS) * 1000).toFixed(0)} writes per 1,000 requests: one per 100`,
      "requests at this rate, one per 5 s per isolate and model at low rates. Analytics Engine: none (not used).",
    ].join("\n");
  } finally {
    await off.stop();
  }
}

async function send(baseUrl: string, { headers, body }: OipRequest): Promise<void> {
  const response = await fetch(`${baseUrl}/v2/models/${MODEL}/infer`, { method: "POST", headers, body });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function batches({ baseUrl, adminToken }: WorkerHandle): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: { Authorization: `Bearer ${adminToken}` } });
  if (!response.ok) throw new Error(`/metrics: HTTP ${response.status}`);
  const text = await response.text();
  let total = 0;
  for (const match of text.matchAll(/^edge_maas_metrics_batches_total\{[^}]*\} (\d+)$/gm)) total += Number(match[1]);
  return total;
}
