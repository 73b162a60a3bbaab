// Issue 3 figures: what API-key auth and exact metering add to a warm inference request, against the same
// request on a second server of the same run started with TENANCY=off. Rounds alternate between the two so
// that machine noise hits both alike.

import { ms, ratio, sample, summarize, table } from "./measure.mjs";
import { binaryRequest, uncached } from "./oip-requests.mjs";

const ROUNDS = 6;
const PER_ROUND = 100;

export async function benchTenancy({ server, manifests, log }) {
  const manifest = manifests.find((m) => m.name === "silero-vad");
  const open = await server("open");
  const metered = await server("metered");
  const targets = { metered: { server: metered, times: [] }, open: { server: open, times: [] } };
  for (let round = 0; round < ROUNDS; round++) {
    log(`tenancy overhead: round ${round + 1}/${ROUNDS}`);
    for (const target of round % 2 ? [targets.open, targets.metered] : [targets.metered, targets.open]) {
      const { headers, body } = uncached(
        binaryRequest(manifest, target.server === open ? undefined : target.server.apiKey),
      );
      const url = `${target.server.baseUrl}/v2/models/${manifest.name}/infer`;
      const result = await sample(
        async () => {
          const response = await fetch(url, { method: "POST", headers, body });
          if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
        },
        { warmup: 10, iterations: PER_ROUND, raw: true },
      );
      target.times.push(...result.times);
    }
  }
  const meteredTimes = summarize(targets.metered.times);
  const openTimes = summarize(targets.open.times);
  return [
    "## Tenancy: auth + metering overhead (issue 3)",
    "",
    `Warm \`silero-vad\` binary OIP requests (\`Cache-Control: no-store\`), ${ROUNDS} alternating rounds × ${PER_ROUND} per server: \`TENANCY=required\` (API key, metered) vs a second`,
    "server in the same run with `TENANCY=off`. A metered request makes 2 Durable Object calls (`begin`: key status, scope, rate",
    "limit, quota reservation and idempotency in one exact step; `complete`: commit or release before the response leaves) and",
    "no KV read once the isolate has seen the key (the key hash → tenant mapping is immutable, so the isolate keeps it; KV and",
    "then the directory object answer the first time) — see README § Tenants, keys and metering for why.",
    "",
    table(
      ["server", "p50 ms", "p99 ms", "mean ms"],
      [
        ["TENANCY=off", ms(openTimes.p50), ms(openTimes.p99), ms(openTimes.mean)],
        ["TENANCY=required", ms(meteredTimes.p50), ms(meteredTimes.p99), ms(meteredTimes.mean)],
      ],
    ),
    "",
    `Added by auth + metering: p50 ${ms(meteredTimes.p50 - openTimes.p50)} ms (${ratio(meteredTimes.p50, openTimes.p50)} of the open request; target under 2 ms).`,
  ].join("\n");
}
