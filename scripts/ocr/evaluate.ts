/**
 * Accuracy of the `ocr` pipeline run in Node (the Worker's code around onnxruntime-node or onnxruntime-web), on the
 * rendered test set (test/data/ocr/) or on a set of pages in JSON Lines (test/data/ocr-pages/):
 *
 *   npx tsx scripts/ocr/evaluate.ts [--split test|dev] [--data pages.jsonl] [--model ppocr@1]
 *       [--option orientation=line] [--runtime onnxruntime-node|onnxruntime-web] [--verbose] [--out file.json]
 *
 * Prints exact pages, exact lines and character error rate per group (the set's `group`; for pages: page angle,
 * skew and columns), the mistakes with --verbose, and with onnxruntime-web the time split between pre/post-processing
 * and `session.run` (one warm-up pass first). `npm run eval` measures the same on a running server.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type PageScore, pageGroups, scoreGroups, scorePage } from "../eval/metrics.ts";
import { ROOT } from "../lib/bundled-models";
import { manifestOverrides, requestOptions } from "./cli-options.ts";
import { createNodeOcr, type NodeOcrResult, type Runtime } from "./node-pipeline.ts";

interface Sample {
  path: string;
  lines: string[];
  groups: string[];
  angle?: number;
}

const { values } = parseArgs({
  options: {
    split: { type: "string", default: "test" },
    data: { type: "string" },
    model: { type: "string", default: "ppocr" },
    option: { type: "string", multiple: true, default: [] },
    set: { type: "string", multiple: true, default: [] },
    runtime: { type: "string", default: "onnxruntime-node" },
    verbose: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const runtime = values.runtime as Runtime;
const samples = values.data ? pageSamples(values.data) : renderedSamples(values.split!);
const options = requestOptions(values.option!);
const ocr = await createNodeOcr(runtime, values.model, manifestOverrides(values.set!));
const read = (path: string) => new Uint8Array(readFileSync(path));

if (runtime === "onnxruntime-web") for (const sample of samples) await ocr(read(sample.path), options); // the WASM heap grows once

const pages: { groups: string[]; score: PageScore }[] = [];
const results: Record<string, Omit<NodeOcrResult, "totalMillis" | "runMillis" | "outputs">> = {};
let total = 0;
let inRun = 0;
let anglesRight = 0;
for (const sample of samples) {
  const result = await ocr(read(sample.path), options);
  const score = scorePage(
    result.lines.map((line) => line.text),
    sample.lines,
  );
  pages.push({ groups: sample.groups, score });
  results[sample.path] = { lines: result.lines, angle: result.angle, skew: result.skew, runs: result.runs };
  total += result.totalMillis;
  inRun += result.runMillis;
  if (sample.angle !== undefined && sample.angle === result.angle) anglesRight += 1;
  if (values.verbose && !score.exact) {
    console.log(`${sample.path}: ${score.edits} edits, angle ${result.angle} skew ${result.skew} (${sample.groups})`);
    console.log(`  expected ${JSON.stringify(sample.lines)}`);
    console.log(`  got      ${JSON.stringify(result.lines.map((l) => l.text))}`);
  }
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`\n${runtime}, ${values.model}, ${values.data ?? `${values.split} split`}, ${samples.length} images\n`);
console.log("| group | images | exact images | lines | exact lines | CER |");
console.log("|---|---|---|---|---|---|");
for (const g of scoreGroups(pages)) {
  console.log(
    `| ${g.group} | ${g.pages} | ${g.pagesExact} (${percent(g.pagesExact / g.pages)}) | ${g.lines} | ${g.linesExact} (${percent(g.linesExact / g.lines)}) | ${percent(g.cer)} |`,
  );
}
if (samples.some((s) => s.angle !== undefined))
  console.log(`\npage angle right on ${anglesRight} of ${samples.length}`);
console.log(
  `\ntime: ${total.toFixed(0)} ms in all, ${inRun.toFixed(0)} ms in session.run; pre/post-processing ${percent((total - inRun) / total)} of end-to-end`,
);
if (values.out) writeFileSync(values.out, `${JSON.stringify(results, null, 1)}\n`);

/** test/data/ocr's ground truth, one split. */
function renderedSamples(split: string): Sample[] {
  const dataDir = join(ROOT, "test/data/ocr");
  const truths = JSON.parse(readFileSync(join(dataDir, "ground-truth.json"), "utf8")) as {
    file: string;
    split: string;
    group: string;
    lines: string[];
  }[];
  return truths
    .filter((t) => t.split === split)
    .map((t) => ({ path: join(dataDir, "images", t.file), lines: t.lines, groups: [t.group] }));
}

/** Pages in JSON Lines (`{image, lines, angle, skew, columns}`), paths relative to the file. */
function pageSamples(file: string): Sample[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const row = JSON.parse(line) as {
        image: string;
        lines: string[];
        angle?: number;
        skew?: number;
        columns?: number;
      };
      return { path: join(dirname(file), row.image), lines: row.lines, groups: pageGroups(row), angle: row.angle };
    });
}
