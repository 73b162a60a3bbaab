/**
 * Feature-extraction figures: throughput of one request carrying 32 texts (the fixture's maxBatch is 32; the Worker
 * groups them by length into a few session calls) against 32 requests of one text each, on the BERT test fixture
 * (random weights; the figures are about serving, not about the model), through `POST /v1/run/bert-fixture` and
 * `POST /v1/embeddings`. Texts: 32 distinct sentences from npm sentiment's fixtures; `Cache-Control: no-store`, so
 * every call runs the model.
 */
import { createRequire } from "node:module";
import type { BenchContext } from "./context";
import { meanTiming, ms, ratio, sample, type Timing, table } from "./measure";
import { uncachedJsonPoster } from "./oip-requests";

const MODEL = "bert-fixture";
const BATCH = 32;
const ROUNDS = 30;
const WARMUP_ROUNDS = 10;

/** The first `count` sentences of sentiment's Yelp fixture with at least 5 words. */
function fixtureTexts(count: number): string[] {
  const rows = createRequire(import.meta.url)("sentiment/test/fixtures/yelp.json") as { text: string }[];
  return rows
    .map((row) => row.text)
    .filter((text) => text.split(/\s+/).length >= 5)
    .slice(0, count);
}

export async function benchEmbeddings({ server, log }: BenchContext): Promise<string> {
  const { baseUrl, apiKey } = await server();
  const texts = fixtureTexts(BATCH);
  const post = uncachedJsonPoster(baseUrl, apiKey);

  const usage = await fetch(`${baseUrl}/v1/embeddings`, {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify({ model: MODEL, input: texts }),
  });
  const tokens = ((await usage.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
  const routes: [label: string, path: string, body: (input: string | string[]) => unknown][] = [
    ["/v1/run", `/v1/run/${MODEL}`, (input) => ({ text: input })],
    ["/v1/embeddings (float)", "/v1/embeddings", (input) => ({ model: MODEL, input, encoding_format: "float" })],
  ];
  // both routes warm before either is timed (the first one timed would otherwise pay for V8 and WASM tier-up)
  for (const [, path, body] of routes) {
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      await post(path, body(texts));
      for (const text of texts) await post(path, body(text));
    }
  }
  const rows = [];
  for (const [label, path, body] of routes) {
    log(`embeddings: ${label}, ${BATCH} texts in one request vs ${BATCH} single requests`);
    const batchTimings: Timing[] = [];
    const batched = await sample(async () => batchTimings.push(await post(path, body(texts))), {
      warmup: 1,
      iterations: ROUNDS,
    });
    const singleTimings: Timing[] = [];
    const singles = await sample(
      async () => {
        for (const text of texts) singleTimings.push(await post(path, body(text)));
      },
      { warmup: 1, iterations: ROUNDS },
    );
    const stages = (timings: Timing[], times: number) =>
      ["pre", "run", "post"].map((name) => ms(times * meanTiming(timings, name))).join(" / ");
    rows.push([
      label,
      meanTiming(batchTimings, "sessionRuns").toFixed(1),
      `${ms(batched.p50)} / ${ms(batched.mean)}`,
      `${ms(singles.p50)} / ${ms(singles.mean)}`,
      (BATCH / (batched.mean / 1000)).toFixed(0),
      (BATCH / (singles.mean / 1000)).toFixed(0),
      ratio(singles.mean, batched.mean),
      stages(batchTimings, 1),
      stages(singleTimings, BATCH),
    ]);
  }

  return [
    "## Feature extraction: batching",
    "",
    `${BATCH} distinct sentences (npm sentiment's Yelp fixture, 8–50 tokens) embedded by the BERT test fixture (2 layers, hidden 64, random`,
    `weights) as one request of ${BATCH} texts or as ${BATCH} sequential requests of one text. The Worker sorts a request's texts by length and runs them in`,
    "the session calls that minimize padded positions plus a per-call cost (src/tasks/batching.ts); `session calls` is the mean per batched request.",
    `Padding all ${BATCH} to the longest (50 tokens) would make 1,600 positions where ${tokens} are real (\`usage.prompt_tokens\`).`,
    `${WARMUP_ROUNDS} warm-up rounds of both on both routes, then ${ROUNDS} rounds each, \`Cache-Control: no-store\`. Stage columns: mean Server-Timing \`pre\` (tokenize) / \`run\` (inside session.run) / \`post\` (pool, JSON), per ${BATCH} texts.`,
    "",
    table(
      [
        "route",
        "session calls",
        `1 × ${BATCH} texts p50 / mean ms`,
        `${BATCH} × 1 text p50 / mean ms`,
        "batched texts/s",
        "single texts/s",
        "throughput gain",
        "batched pre / run / post ms",
        "singles pre / run / post ms",
      ],
      rows,
    ),
  ].join("\n");
}
