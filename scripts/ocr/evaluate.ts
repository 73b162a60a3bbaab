/**
 * Accuracy of the `ocr` pipeline on the rendered test set (test/data/ocr/), run in Node:
 *
 *   npx tsx scripts/ocr/evaluate.ts [--split test|dev] [--runtime onnxruntime-node|onnxruntime-web] [--verbose] [--out file.json]
 *
 * Prints exact matches and character error rate per group, the mistakes with --verbose, and with
 * onnxruntime-web the time split between pre/post-processing and `session.run` (one warm-up pass first).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type PageScore, scoreGroups, scorePage } from "../eval/metrics.ts";
import { ROOT } from "../lib/bundled-models";
import { createNodeOcr, type NodeOcrResult, type Runtime } from "./node-pipeline.ts";

interface Truth {
  file: string;
  split: "dev" | "test";
  group: string;
  lines: string[];
}

const { values } = parseArgs({
  options: {
    split: { type: "string", default: "test" },
    runtime: { type: "string", default: "onnxruntime-node" },
    verbose: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const runtime = values.runtime as Runtime;
const dataDir = join(ROOT, "test/data/ocr");
const truths = (JSON.parse(readFileSync(join(dataDir, "ground-truth.json"), "utf8")) as Truth[]).filter(
  (t) => t.split === values.split,
);
const ocr = await createNodeOcr(runtime);
const read = (file: string) => new Uint8Array(readFileSync(join(dataDir, "images", file)));

if (runtime === "onnxruntime-web") for (const truth of truths) await ocr(read(truth.file)); // warm-up: the WASM heap grows once

const pages: { group: string; score: PageScore }[] = [];
const results: Record<string, NodeOcrResult["lines"]> = {};
let total = 0;
let inRun = 0;
for (const truth of truths) {
  const result = await ocr(read(truth.file));
  const score = scorePage(
    result.lines.map((line) => line.text),
    truth.lines,
  );
  pages.push({ group: truth.group, score });
  results[truth.file] = result.lines;
  total += result.totalMillis;
  inRun += result.runMillis;
  if (values.verbose && !score.exact) {
    console.log(`${truth.file}: ${score.edits} edits`);
    console.log(`  expected ${JSON.stringify(truth.lines)}`);
    console.log(`  got      ${JSON.stringify(result.lines.map((l) => l.text))}`);
  }
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`\n${runtime}, ${values.split} split, ${truths.length} images\n`);
console.log("| group | images | exact images | lines | exact lines | CER |");
console.log("|---|---|---|---|---|---|");
for (const g of scoreGroups(pages)) {
  console.log(
    `| ${g.group} | ${g.pages} | ${g.pagesExact} (${percent(g.pagesExact / g.pages)}) | ${g.lines} | ${g.linesExact} (${percent(g.linesExact / g.lines)}) | ${percent(g.cer)} |`,
  );
}
console.log(
  `\ntime: ${total.toFixed(0)} ms in all, ${inRun.toFixed(0)} ms in session.run; pre/post-processing ${percent((total - inRun) / total)} of end-to-end`,
);
if (values.out) writeFileSync(values.out, `${JSON.stringify(results, null, 1)}\n`);
