/**
 * Response-cache hit vs miss for the OCR recognizer (latency and requests/second), next to a bare Worker on the same
 * workerd that answers the same request with the same bytes read from KV, all in this run. Throughput is measured
 * with autocannon on loopback, bounded in time; latency with sequential requests.
 */
import type { BenchContext } from "./context";
import { median, ms, ratio, requestsPerSecond, sample, table } from "./measure";
import { type BenchRequest, binaryRequest } from "./oip-requests";

const SECONDS = 8;
const CONNECTIONS = 8;
const MISSES = 40;
const ROUNDS = 5;

export async function benchCache({ server, manifests, log }: BenchContext): Promise<string> {
  const manifest = manifests.find((m) => m.name === "ppocr-rec");
  if (!manifest) throw new Error("the cache section needs the bundled ppocr-rec");
  const targets = [
    ["TENANCY=required", await server("metered")],
    ["TENANCY=off", await server("open")],
  ] as const;
  const bare = await server("bare");
  const rows = [];
  const hits: { label: string; url: string; request: BenchRequest }[] = [];
  let hitBody = new Uint8Array();
  for (const [label, target] of targets) {
    log(`cache: ${label} hit vs miss latency`);
    const url = `${target.baseUrl}/v2/models/${manifest.name}/infer`;
    let variant = 0;
    const miss = await sample(
      async () => {
        const { headers, body } = binaryRequest(manifest, target.apiKey, ++variant);
        await expectCache(await fetch(url, { method: "POST", headers, body }), "MISS");
      },
      { warmup: 2, iterations: MISSES },
    );
    const request = binaryRequest(manifest, target.apiKey);
    hitBody = new Uint8Array(await (await fetch(url, { method: "POST", ...request })).arrayBuffer());
    const hit = await sample(async () => expectCache(await fetch(url, { method: "POST", ...request }), "HIT"), {
      warmup: 20,
      iterations: 300,
    });
    hits.push({ label, url, request });
    rows.push([
      label,
      `${ms(miss.p50)} / ${ms(miss.p99)}`,
      `${ms(hit.p50)} / ${ms(hit.p99)}`,
      ratio(miss.p50, hit.p50),
    ]);
  }

  // the floor serves the very bytes of a hit, from KV, to the very same request (body read and discarded)
  const bareUrl = `${bare.baseUrl}/kv?bytes=${hitBody.byteLength}`;
  await fetch(bareUrl, { method: "PUT", body: hitBody });
  const floorRequest = hits.find((hit) => hit.label === "TENANCY=off")!.request;
  const runs = [{ label: "floor", url: bareUrl, request: floorRequest }, ...hits];
  const throughput = new Map(runs.map((run) => [run.label, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    log(`cache: hit throughput, round ${round + 1}/${ROUNDS}`);
    for (const { label, url, request } of runs) {
      throughput
        .get(label)!
        .push(
          await requestsPerSecond({ url, method: "POST", ...request, connections: CONNECTIONS, duration: SECONDS }),
        );
    }
  }
  const figures = (label: string) => {
    const values = throughput.get(label)!;
    return `${median(values).toFixed(0)} (${values.map((v) => v.toFixed(0)).join(", ")})`;
  };
  const floor = median(throughput.get("floor")!);
  return [
    "## Response cache",
    "",
    `\`ppocr-rec\` binary OIP requests (a 3×48×320 line image in, 1 MB of binary output). Misses use a new image each time (${MISSES}`,
    "sequential); hits repeat one (300 sequential).",
    "",
    table(["server", "miss p50 / p99 ms", "hit p50 / p99 ms", "miss / hit"], rows),
    "",
    `Hit throughput: autocannon, ${CONNECTIONS} connections for ${SECONDS} s, ${ROUNDS} rounds alternating between the servers (median shown). The floor`,
    "is a bare Worker on the same workerd that receives the same 184 KB request, reads it, and answers with the same",
    "1 MB read from KV. autocannon's own recorder concatenates every response body into a JS string (≈10 ms per 1 MB of",
    "binary), which would make the client the bottleneck for both; the measurement drops bodies instead of recording them.",
    "",
    table(
      ["server", "hit req/s (rounds)", "against the floor"],
      [
        ["bare KV Worker (floor)", figures("floor"), "1.00×"],
        ...hits.map(({ label }) => [label, figures(label), ratio(median(throughput.get(label)!), floor)]),
      ],
    ),
    "",
    "The cache's own hit path is the `TENANCY=off` row. A metered hit adds one call to the tenant's Durable Object, which checks the",
    "key, takes a rate-limit token and commits the charge in one SQLite transaction before the body leaves (exact metering; see the",
    "tenancy section for what that call costs on a miss).",
  ].join("\n");
}

async function expectCache(response: Response, expected: "HIT" | "MISS"): Promise<void> {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  const status = response.headers.get("x-cache");
  await response.arrayBuffer();
  if (status !== expected) throw new Error(`expected X-Cache ${expected}, got ${status}`);
}
