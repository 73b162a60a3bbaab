/**
 * What API-key auth and metering add to a warm inference request, in both metering modes, when every call to the
 * tenant's Durable Object costs a round trip: servers started with DO_DELAY_MS = 0, 40 and 120 (a tenant's object in
 * the same location, in a neighbouring region, on another continent), each holding an exact and a leased tenant,
 * against the same request on a TENANCY=off server of the same run. Rounds alternate between the three targets so
 * that machine noise hits them alike. The Worker says on each response how many Durable Object calls it waited for
 * (`Server-Timing: metering;desc="leased, 0 blocking calls"`).
 */
import type { BundledManifest } from "../lib/bundled-manifest";
import { benchKey, startWorker } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { ms, sample, summarize, table } from "./measure";
import { binaryRequest, uncached } from "./oip-requests";

const DELAYS = [0, 40, 120];
const ROUNDS = 8;
const PER_ROUND = 25;
const WARMUP = 10;
const MODEL = "silero-vad";

interface Target {
  baseUrl: string;
  apiKey?: string;
  times: number[];
  /** Durable Object calls each timed metered response waited for. */
  blocking: number[];
}

export async function benchTenancy({ server, manifests, log, port, stateDir }: BenchContext): Promise<string> {
  const manifest = manifests.find((m) => m.name === MODEL);
  if (!manifest) throw new Error(`the tenancy section needs the bundled ${MODEL}`);
  const open = await server("open");
  const rows = [];
  for (const [i, delay] of DELAYS.entries()) {
    log(`tenancy: starting a server with DO_DELAY_MS=${delay}`);
    const metered = await startWorker({
      port: port(20 + i),
      persistTo: stateDir(),
      vars: { DO_DELAY_MS: String(delay) },
      seed: [MODEL],
    });
    try {
      const targets = {
        off: target(open.baseUrl, undefined),
        exact: target(metered.baseUrl, metered.apiKey),
        leased: target(metered.baseUrl, await benchKey(metered, "leased")),
      };
      const order = Object.values(targets);
      for (let round = 0; round < ROUNDS; round++) {
        log(`tenancy: DO_DELAY_MS=${delay}, round ${round + 1}/${ROUNDS}`);
        for (let k = 0; k < order.length; k++) await measure(order[(round + k) % order.length]!, manifest);
      }
      const off = summarize(targets.off.times);
      for (const mode of ["exact", "leased"] as const) {
        const { times, blocking } = targets[mode];
        const s = summarize(times);
        const none = blocking.filter((n) => n === 0).length / blocking.length;
        rows.push([
          `${delay}`,
          mode,
          ms(s.p50 - off.p50),
          ms(s.p99 - off.p99),
          (blocking.reduce((a, b) => a + b, 0) / blocking.length).toFixed(2),
          `${(none * 100).toFixed(1)}%`,
          `${ms(s.p50)} / ${ms(off.p50)}`,
        ]);
      }
    } finally {
      await metered.stop();
    }
  }
  return [
    "## Tenancy: auth and metering overhead",
    "",
    `Warm \`${MODEL}\` binary OIP requests (\`Cache-Control: no-store\`), one at a time. For each DO_DELAY_MS (added to every`,
    "Durable Object call: 0 = the tenant's object next to the isolate, 40 = a neighbouring region, 120 = another continent),",
    `a server holds an exact and a leased tenant, measured in ${ROUNDS} rounds × ${PER_ROUND} requests (after ${WARMUP} untimed each)`,
    "alternating with the same request on a `TENANCY=off` server of the same run. Added = the metered figure minus the",
    "open one, per percentile. Blocking calls = Durable Object calls the response waited for (its own, or another",
    "request's call for a lease), as the Worker reports them. Exact: one (`begin`; the settlement goes after the",
    "response). Leased: none while the isolate's leases (1 s TTL, renewed in the background) cover the request.",
    "",
    table(
      [
        "DO_DELAY_MS",
        "metering",
        "added p50 ms",
        "added p99 ms",
        "blocking calls / request",
        "requests with none",
        "p50 metered / off ms",
      ],
      rows,
    ),
  ].join("\n");
}

function target(baseUrl: string, apiKey: string | undefined): Target {
  return { baseUrl, apiKey, times: [], blocking: [] };
}

async function measure(target: Target, manifest: BundledManifest): Promise<void> {
  const { headers, body } = uncached(binaryRequest(manifest, target.apiKey));
  const url = `${target.baseUrl}/v2/models/${manifest.name}/infer`;
  let timed = 0;
  const result = await sample(
    async () => {
      const response = await fetch(url, { method: "POST", headers, body });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      const calls = /metering;desc="\w+, (\d+) blocking/.exec(response.headers.get("Server-Timing") ?? "");
      if (target.apiKey && timed++ >= WARMUP) target.blocking.push(Number(calls?.[1]));
    },
    { warmup: WARMUP, iterations: PER_ROUND },
  );
  target.times.push(...result.times);
}
