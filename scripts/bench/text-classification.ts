/**
 * Text-classification figures for lid-176: end-to-end latency of one sentence, of 32 sentences in one request against
 * 32 single requests, and of 128 sentences in one request, next to the Worker's Server-Timing `pre` (tokenizing),
 * `run` (inside session.run), `post` and the session calls a request made. Sentences from
 * test/data/lid/sentences.tsv; `Cache-Control: no-store`, so every call runs the model.
 */
import { readFileSync } from "node:fs";
import { repoPath } from "../lib/bundled-models";
import type { BenchContext } from "./context";
import { ms, ratio, type Summary, share, summarize, type Timing, table } from "./measure";
import { uncachedJsonPoster } from "./oip-requests";

const MODEL = "lid-176";
const WARMUP = 20;
const ITERATIONS = 100;
const STAGES = ["pre", "run", "post", "infer", "sessionRuns"] as const;

type Stages = Record<(typeof STAGES)[number], number>;
type Post = (body: unknown) => Promise<Timing>;

const sentences = () =>
  readFileSync(repoPath("test/data/lid/sentences.tsv"), "utf8")
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((line) => line.split("\t")[2] ?? "");

/** Sends each round's bodies one after the other; per round: the wall time and the Server-Timing stages summed. */
async function measure(post: Post, rounds: (i: number) => unknown[]): Promise<Stages & { total: Summary }> {
  const totals: number[] = [];
  const stages = STAGES.map(() => [] as number[]);
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const bodies = rounds(i);
    const started = performance.now();
    const sums = STAGES.map(() => 0);
    for (const body of bodies) {
      const timing = await post(body);
      STAGES.forEach((name, k) => (sums[k]! += timing[name] ?? 0));
    }
    if (i < WARMUP) continue;
    totals.push(performance.now() - started);
    sums.forEach((sum, k) => stages[k]!.push(sum));
  }
  const means = Object.fromEntries(STAGES.map((name, k) => [name, summarize(stages[k]!).mean])) as Stages;
  return { total: summarize(totals), ...means };
}

export async function benchTextClassification({ server, log }: BenchContext): Promise<string> {
  const { baseUrl, apiKey } = await server();
  const texts = sentences();
  const postJson = uncachedJsonPoster(baseUrl, apiKey);
  const post: Post = (body) => postJson(`/v1/run/${MODEL}`, body);
  const pick = (i: number, n: number) => Array.from({ length: n }, (_, k) => texts[(i * n + k) % texts.length]);
  const cases: [what: string, count: number, rounds: (i: number) => unknown[]][] = [
    ["1 sentence, 1 request", 1, (i) => [{ text: pick(i, 1)[0] }]],
    ["32 sentences, 1 request", 32, (i) => [{ text: pick(i, 32) }]],
    ["32 sentences, 32 requests", 32, (i) => pick(i, 32).map((text) => ({ text }))],
    ["128 sentences, 1 request", 128, (i) => [{ text: pick(i, 128) }]],
  ];
  // every case warms before any is timed (the first one timed would otherwise pay for V8 and WASM tier-up)
  for (const [, , rounds] of cases) for (let i = 0; i < WARMUP; i++) for (const body of rounds(i)) await post(body);
  const results = [];
  for (const [what, count, rounds] of cases) {
    log(`text-classification: ${what}`);
    results.push({ what, count, ...(await measure(post, rounds)) });
  }
  const rows = results.map((r) => [
    r.what,
    `${ms(r.total.p50)} / ${ms(r.total.mean)}`,
    (r.count / (r.total.mean / 1000)).toFixed(0),
    r.sessionRuns.toFixed(1),
    ms(r.pre),
    ms(r.run),
    ms(r.infer - r.run),
    ms(r.post),
    share(r.pre + r.post, r.total.mean),
  ]);
  const [, batched, singles] = results;
  return [
    "## Text classification: lid-176",
    "",
    `fastText's language identifier converted to ONNX, over HTTP (metered key, \`no-store\`), ${WARMUP} warm-up rounds of every row first, then ${WARMUP} more and ${ITERATIONS} timed rounds per row.`,
    "Stage columns are Server-Timing means summed over a round's requests (the Worker's clock ticks in whole milliseconds, so",
    "sub-millisecond stages read as a fraction of rounds that crossed a tick). A request's texts run in session calls of at most",
    "`maxBatch` (64) texts of similar length (src/tasks/batching.ts); `session calls` is the mean per round.",
    "",
    table(
      [
        "round",
        "end to end p50 / mean ms",
        "texts/s",
        "session calls",
        "pre (tokenize) ms",
        "session.run ms",
        "infer outside run ms",
        "post ms",
        "pre + post share",
      ],
      rows,
    ),
    "",
    `32 texts in one request against 32 single requests: **${ratio(singles!.total.mean, batched!.total.mean)}** the throughput.`,
  ].join("\n");
}
