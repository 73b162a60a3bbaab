/**
 * Memory and time of `POST /v1/run/ppocr` on a running server (`npm run dev`, best freshly started: the WASM heap only
 * grows, so the figure is the peak of everything this isolate has run):
 *
 *   BASE=http://127.0.0.1:8787 TOKEN=<admin token> KEY=<api key> npx tsx scripts/ocr/measure-workerd.ts [--rounds 3] [--split test]
 *
 * Sends every image of the split `rounds` times (Cache-Control: no-store), then reports the WASM heap and each
 * session's charge from GET /admin/runtime, and the time split from Server-Timing: end to end (client side),
 * session.run (`run`), the rest of the infer stage (detector post-processing, crops, batching), `pre` (decoding,
 * resizing) and `post` (CTC decoding). The first round also warms the sessions up and is not timed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mib, serverTiming, share } from "../bench/measure";
import { adminCall, expectOk } from "../lib/api-client";
import { ROOT } from "../lib/bundled-models";

interface RuntimeStats {
  wasmMemoryBytes: number;
  budgetBytes: number;
  chargedBytes: number;
  sessions: { label: string; chargedBytes: number; runs: number; createMillis: number }[];
}

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    split: { type: "string", default: "test" },
    model: { type: "string", default: "ppocr" },
  },
});
const server = { baseUrl: process.env.BASE ?? "http://127.0.0.1:8787", adminToken: process.env.TOKEN ?? "" };
const caller: Record<string, string> = process.env.KEY ? { Authorization: `Bearer ${process.env.KEY}` } : {};
const dataDir = join(ROOT, "test/data/ocr");
const pages = (
  JSON.parse(readFileSync(join(dataDir, "ground-truth.json"), "utf8")) as { file: string; split: string }[]
).filter((p) => p.split === values.split);

const runtime = () => adminCall<RuntimeStats>(server, "GET", "/admin/runtime");
const before = await runtime();

const totals = { e2e: 0, run: 0, inferRest: 0, pre: 0, post: 0, requests: 0, runs: 0 };
for (let round = 0; round < Number(values.rounds); round++) {
  for (const page of pages) {
    const body = readFileSync(join(dataDir, "images", page.file));
    const type = page.file.endsWith(".png") ? "image/png" : "image/jpeg";
    const started = performance.now();
    const response = await expectOk(
      fetch(`${server.baseUrl}/v1/run/${values.model}`, {
        method: "POST",
        headers: { ...caller, "Content-Type": type, "Cache-Control": "no-store" },
        body,
      }),
      page.file,
    );
    await response.arrayBuffer();
    const e2e = performance.now() - started;
    if (round === 0) continue;
    const t = serverTiming(response.headers.get("server-timing"));
    totals.e2e += e2e;
    totals.run += t.run ?? 0;
    totals.inferRest += (t.infer ?? 0) - (t.run ?? 0);
    totals.pre += t.pre ?? 0;
    totals.post += t.post ?? 0;
    totals.requests += 1;
    totals.runs += t.sessionRuns ?? 0;
  }
}

const after = await runtime();
const ofTotal = (x: number) => share(x, totals.e2e);
const per = (x: number) => (x / totals.requests).toFixed(1);
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
  `per request, ms: end to end ${per(totals.e2e)}, session.run ${per(totals.run)} (${ofTotal(totals.run)}), rest of infer ${per(totals.inferRest)} (${ofTotal(totals.inferRest)}), pre ${per(totals.pre)} (${ofTotal(totals.pre)}), post ${per(totals.post)} (${ofTotal(totals.post)})`,
);
console.log(
  `outside session.run: ${ofTotal(totals.e2e - totals.run)} of end to end; pre + infer outside run + post: ${ofTotal(totals.pre + totals.inferRest + totals.post)}`,
);
