/**
 * What API-key auth and exact metering add to a warm inference request, against the same request on a second server
 * of the same run started with TENANCY=off. Rounds alternate between the two so that machine noise hits both alike.
 */
import type { BenchContext } from "./context";
import { ms, postTimed, ratio, sample, summarize, table } from "./measure";
import { binaryRequest, uncached } from "./oip-requests";

const ROUNDS = 6;
const PER_ROUND = 100;

export async function benchTenancy({ server, manifests, log }: BenchContext): Promise<string> {
  const manifest = manifests.find((m) => m.name === "silero-vad");
  if (!manifest) throw new Error("the tenancy section needs the bundled silero-vad");
  const targets = {
    metered: { server: await server("metered"), times: [] as number[] },
    open: { server: await server("open"), times: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    log(`tenancy overhead: round ${round + 1}/${ROUNDS}`);
    for (const target of round % 2 ? [targets.open, targets.metered] : [targets.metered, targets.open]) {
      const request = uncached(binaryRequest(manifest, target.server.apiKey));
      const url = `${target.server.baseUrl}/v2/models/${manifest.name}/infer`;
      const result = await sample(() => postTimed(url, request), { warmup: 10, iterations: PER_ROUND });
      target.times.push(...result.times);
    }
  }
  const metered = summarize(targets.metered.times);
  const open = summarize(targets.open.times);
  return [
    "## Tenancy: auth and metering overhead",
    "",
    `Warm \`silero-vad\` binary OIP requests (\`Cache-Control: no-store\`), ${ROUNDS} alternating rounds × ${PER_ROUND} per server: \`TENANCY=required\` (API key, metered) vs a second`,
    "server in the same run with `TENANCY=off`. A metered request makes 2 Durable Object calls (`begin`: key status, scope, rate",
    "limit, quota reservation and idempotency in one exact step; `complete`: commit or release before the response leaves) and",
    "no KV read once the isolate has seen the key (the key hash → tenant mapping is immutable, so the isolate keeps it; KV and",
    "then the directory object answer the first time).",
    "",
    table(
      ["server", "p50 ms", "p99 ms", "mean ms"],
      [
        ["TENANCY=off", ms(open.p50), ms(open.p99), ms(open.mean)],
        ["TENANCY=required", ms(metered.p50), ms(metered.p99), ms(metered.mean)],
      ],
    ),
    "",
    `Added by auth + metering: p50 ${ms(metered.p50 - open.p50)} ms (${ratio(metered.p50, open.p50)} of the open request; target under 2 ms).`,
  ].join("\n");
}
