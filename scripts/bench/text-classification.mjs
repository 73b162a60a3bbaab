#!/usr/bin/env node
// text-classification figures for lid-176 (`node scripts/bench/text-classification.mjs`, port BENCH_PORT or 8811):
// on the deploy bundle in workerd (`TENANCY=off`, `Cache-Control: no-store`), end-to-end latency of one sentence,
// of 32 sentences in one request (one session call) against 32 single requests, and of 128 sentences (two session
// calls of 64), next to the Worker's Server-Timing `pre` (tokenizing), `run` (inside session.run) and `post`.
// Sentences come from test/data/lid/sentences.tsv.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoPath } from "../lib/bundled-models.mjs";
import { startWorker } from "../lib/worker-server.mjs";
import { ms, serverTiming, summarize, table } from "./measure.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8811);
const WARMUP = 20;
const ITERATIONS = 100;

const sentences = readFileSync(repoPath("test/data/lid/sentences.tsv"), "utf8")
  .trimEnd()
  .split("\n")
  .slice(1)
  .map((line) => line.split("\t")[2]);

/** Times `requests` (a list of bodies sent one after the other) as one round; returns per-round totals and timings. */
async function measure(baseUrl, rounds) {
  const totals = [];
  const stages = { pre: [], run: [], post: [], infer: [] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const bodies = rounds(i);
    const started = performance.now();
    const timing = { pre: 0, run: 0, post: 0, infer: 0 };
    for (const body of bodies) {
      const response = await fetch(`${baseUrl}/v1/run/lid-176`, { method: "POST", headers: { "Content-Type": "application/json", "Cache-Control": "no-store" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      const t = serverTiming(response.headers.get("server-timing"));
      for (const name of Object.keys(timing)) timing[name] += t[name] ?? 0;
    }
    if (i < WARMUP) continue;
    totals.push(performance.now() - started);
    for (const name of Object.keys(stages)) stages[name].push(timing[name]);
  }
  const mean = (values) => summarize(values).mean;
  return { total: summarize(totals), pre: mean(stages.pre), run: mean(stages.run), post: mean(stages.post), infer: mean(stages.infer) };
}

const state = mkdtempSync(join(tmpdir(), "edge-maas-bench-text-"));
const server = await startWorker({ port: PORT, persistTo: state, vars: { TENANCY: "off" } });
try {
  const pick = (i, n) => Array.from({ length: n }, (_, k) => sentences[(i * n + k) % sentences.length]);
  const cases = [
    ["1 sentence, 1 request", (i) => [{ text: pick(i, 1)[0] }]],
    ["32 sentences, 1 request (1 session call)", (i) => [{ text: pick(i, 32) }]],
    ["32 sentences, 32 requests", (i) => pick(i, 32).map((text) => ({ text }))],
    ["128 sentences, 1 request (2 session calls)", (i) => [{ text: pick(i, 128) }]],
  ];
  const rows = [];
  for (const [what, rounds] of cases) {
    const r = await measure(server.baseUrl, rounds);
    rows.push([what, `${ms(r.total.p50)} / ${ms(r.total.mean)}`, ms(r.pre), ms(r.run), ms(r.infer - r.run), ms(r.post)]);
  }
  console.log(
    [
      `lid-176 over HTTP on workerd (deploy bundle, TENANCY=off, no cache), ${WARMUP} warm-up and ${ITERATIONS} timed rounds; stage columns are`,
      "Server-Timing means summed over a round's requests (the Worker's clock ticks in whole milliseconds).",
      "",
      table(["round", "end to end p50 / mean ms", "pre (tokenize) ms", "session.run ms", "infer outside run ms", "post ms"], rows),
    ].join("\n"),
  );
} finally {
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
