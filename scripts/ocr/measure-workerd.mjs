#!/usr/bin/env node
// Memory and time of `POST /v1/run/ppocr` on a running server (`npm run dev`, best freshly started: the WASM heap
// only grows, so the figure is the peak of everything this isolate has run):
//
//   BASE=http://127.0.0.1:8787 TOKEN=<admin token> KEY=<api key> node scripts/ocr/measure-workerd.mjs [--rounds 3] [--split test]
//
// Sends every image of the split `rounds` times (Cache-Control: no-store), then reports the WASM heap and each
// session's charge from GET /admin/runtime, and the time split from Server-Timing: end to end (client side),
// session.run (`run`), the rest of the infer stage (detector post-processing, crops, batching), `pre` (decoding,
// resizing) and `post` (CTC decoding). The first round also warms the sessions up and is not timed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mib, serverTiming } from "../bench/measure.mjs";
import { ROOT } from "../lib/bundled-models.mjs";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    split: { type: "string", default: "test" },
    model: { type: "string", default: "ppocr" },
  },
});
const base = process.env.BASE ?? "http://127.0.0.1:8787";
const admin = { Authorization: `Bearer ${process.env.TOKEN}` };
const caller = process.env.KEY ? { Authorization: `Bearer ${process.env.KEY}` } : {};
const dataDir = join(ROOT, "test/data/ocr");
const pages = JSON.parse(readFileSync(join(dataDir, "ground-truth.json"), "utf8")).filter(
  (p) => p.split === values.split,
);

const runtime = async () => (await fetch(`${base}/admin/runtime`, { headers: admin })).json();
const before = await runtime();

const totals = { e2e: 0, run: 0, inferRest: 0, pre: 0, post: 0, requests: 0, runs: 0 };
for (let round = 0; round < Number(values.rounds); round++) {
  for (const page of pages) {
    const body = readFileSync(join(dataDir, "images", page.file));
    const type = page.file.endsWith(".png") ? "image/png" : "image/jpeg";
    const started = performance.now();
    const response = await fetch(`${base}/v1/run/${values.model}`, {
      method: "POST",
      headers: { ...caller, "Content-Type": type, "Cache-Control": "no-store" },
      body,
    });
    await response.arrayBuffer();
    const e2e = performance.now() - started;
    if (!response.ok) throw new Error(`${page.file}: HTTP ${response.status}`);
    if (round === 0) continue;
    const t = serverTiming(response.headers.get("server-timing"));
    const runs = Number(/infer;[^,]*desc="(\d+) session runs"/.exec(response.headers.get("server-timing"))?.[1] ?? 0);
    totals.e2e += e2e;
    totals.run += t.run ?? 0;
    totals.inferRest += (t.infer ?? 0) - (t.run ?? 0);
    totals.pre += t.pre ?? 0;
    totals.post += t.post ?? 0;
    totals.requests += 1;
    totals.runs += runs;
  }
}

const after = await runtime();
const share = (x) => `${((100 * x) / totals.e2e).toFixed(1)}%`;
const per = (x) => (x / totals.requests).toFixed(1);
console.log(
  `WASM heap: ${mib(before.wasmMemoryBytes)} MiB before, ${mib(after.wasmMemoryBytes)} MiB after (budget ${mib(after.budgetBytes)} MiB, charged ${mib(after.chargedBytes)} MiB)`,
);
for (const s of after.sessions)
  console.log(
    `  ${s.label}: charged ${mib(s.chargedBytes)} MiB, ${s.runs} runs, created in ${s.createMillis.toFixed(0)} ms`,
  );
console.log(
  `${totals.requests} timed requests (${pages.length} images x ${Number(values.rounds) - 1} rounds), ${(totals.runs / totals.requests).toFixed(1)} session runs each`,
);
console.log(
  `per request, ms: end to end ${per(totals.e2e)}, session.run ${per(totals.run)} (${share(totals.run)}), rest of infer ${per(totals.inferRest)} (${share(totals.inferRest)}), pre ${per(totals.pre)} (${share(totals.pre)}), post ${per(totals.post)} (${share(totals.post)})`,
);
console.log(
  `outside session.run: ${share(totals.e2e - totals.run)} of end to end; pre + infer outside run + post: ${share(totals.pre + totals.inferRest + totals.post)}`,
);
