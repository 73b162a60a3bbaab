#!/usr/bin/env -S npx tsx
// `npm run eval`: sends a labelled set through a running server's task API (POST /v1/run/{model}) and prints the
// scores its task calls for; with --compare (repeatable), the same set through other versions and the deltas. See
// USAGE.
import { readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { parseArgs } from "node:util";
import { errorLine } from "../tools/cli/errors";
import { progressBar } from "../tools/cli/progress";
import {
  classificationScore,
  frameAgreement,
  type GroupScore,
  ocrScore,
  pageGroups,
  regressionScore,
  scoreGroups,
  scorePage,
  segmentsToFrames,
} from "./eval/metrics";

// a missing file, a server that is down, a refused key: one line and exit 1, never a stack trace
for (const event of ["uncaughtException", "unhandledRejection"] as const)
  process.on(event, (error) => {
    console.error(errorLine(error));
    process.exit(1);
  });

const USAGE = `usage: npm run eval -- --model <name[@version]> --data <file> [options]

Sends every row of a labelled set through POST /v1/run/{model} on a running server and prints the scores the
model's task calls for: accuracy and per-class precision/recall/F1 (text-, image- and tabular-classification), MAE,
RMSE and R² (tabular-regression), exact match and character error rate (ocr; for pages of lines also exact lines,
split by page angle, skew and columns), frame accuracy (voice-activity).

options:
  --model <name[@version]>   the model to score (a version or alias after @; the default version without)
  --data <file>              the labelled set: JSON Lines, or one JSON array of rows (formats below)
  --compare <name@version>   also score this version (e.g. the float32 one), print the deltas and how often
                             the two agree; repeat it to score more versions (agreement: the first)
  --base-url <url>           the server (default: $BASE, else http://127.0.0.1:8787)
  --key <key>                an API key with scope infer (default: $KEY, else the file .dev-api-key)
  --json                     print the results as JSON
  -h, --help                 this text

data rows (paths are relative to the data file; "file" may stand for "image" or "audio"):
  text-classification:   {"text": "Guten Morgen", "label": "de"}
  image-classification:  {"image": "digits/7-0001.png", "label": "7"}
  ocr:                   {"image": "lines/0001.png", "text": "the expected text"}
                         {"image": "images/test-001.jpg", "lines": ["first line", ...], "angle": 180,
                          "skew": -3.5, "columns": 2}   (a page: scored by lines, split by angle, skew, columns)
  voice-activity:        {"audio": "speech/0001.wav", "frames": [0, 1, 1, ...]}   (per 32 ms window; optional
                         with --compare)
  tabular-classification: {"features": [5.1, 3.5, 1.4, 0.2] or {"name": value, ...}, "label": "setosa"}
  tabular-regression:    {"features": [...] or {...}, "value": 151}

labelled sets in this repository, one per bundled task model:
  test/data/digits/index.json      mnist-digits, 120 held-out digits
  test/data/ocr/test-split.jsonl   ppocr, 52 rendered text images
  test/data/ocr-pages/test.jsonl   ppocr, 200 photographed-like pages (dev.jsonl: 40 more, for choosing settings)
  test/data/vad/speech.jsonl       silero-vad, 6 WAV files without frame labels (use --compare)
  test/data/tabular/<model>.json   breast-cancer-logreg, iris-forest, diabetes-linear: held-out rows

examples (the bundled digit classifier's int8 default against its float32 version; three versions of ppocr):
  npm run eval -- --model mnist-digits --compare mnist-digits@1 --data test/data/digits/index.json
  npm run eval -- --model ppocr@1 --compare ppocr@int8-stages --compare ppocr@int8 --data test/data/ocr-pages/test.jsonl`;

const OPTIONS = {
  model: { type: "string" },
  data: { type: "string" },
  compare: { type: "string", multiple: true, default: [] as string[] },
  "base-url": { type: "string", default: process.env.BASE ?? "http://127.0.0.1:8787" },
  key: { type: "string", default: process.env.KEY },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

const { values } = (() => {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    // an unknown or malformed option: say which, and how to call this
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.model || !values.data) {
  console.error(USAGE);
  process.exit(2);
}
const baseUrl = values["base-url"]!.replace(/\/$/, "");
const key = values.key ?? readKeyFile();
const rows = readRows(values.data);
const dataDir = dirname(values.data);
const VAD_FRAME_SECONDS = 512 / 16000;
/** Answers per model reference, in data order (each model runs the set once). */
const responses = new Map<string, unknown[]>();
const MEDIA_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".wav": "audio/wav",
};

const CLASSIFIERS = new Set(["text-classification", "image-classification", "tabular-classification"]);
const task = await taskOf(values.model);
const results: Record<string, unknown> = {
  model: values.model,
  task,
  data: values.data,
  n: rows.length,
  scores: await score(values.model),
};
const compared = values.compare!;
if (compared.length > 0) {
  results.compare = [];
  for (const model of compared) (results.compare as unknown[]).push({ model, scores: await score(model) });
}
const [first] = compared;
if (first && task === "voice-activity") results.agreement = await vadAgreement(values.model, first);
if (first && CLASSIFIERS.has(task)) results.agreement = await topAgreement(values.model, first);
console.log(values.json ? JSON.stringify(results, null, 2) : render(results));

async function taskOf(reference: string): Promise<string> {
  const name = reference.split("@")[0];
  const listing = (await call("GET", "/v1/models")) as { data: { id: string; task: string }[] };
  const found = listing.data.find((m) => m.id === name);
  if (!found) throw new Error(`model '${name}' is not served at ${baseUrl} for this key`);
  return found.task;
}

/** One task request for a data row: JSON for text, the raw file for images and audio. */
function request(row: Record<string, any>): { body: string | Uint8Array; contentType: string } {
  const file = row.image ?? row.audio ?? row.file;
  if (file)
    return {
      body: readFileSync(join(dataDir, file)),
      contentType: MEDIA_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    };
  if (row.features !== undefined)
    return { body: JSON.stringify({ features: row.features }), contentType: "application/json" };
  return { body: JSON.stringify({ text: row.text }), contentType: "application/json" };
}

async function answers(model: string): Promise<unknown[]> {
  if (!responses.has(model)) {
    const out = [];
    const bar = values.json || !process.stderr.isTTY ? undefined : progressBar(model, rows.length, "items");
    try {
      for (const row of rows) {
        const { body, contentType } = request(row);
        out.push(await call("POST", `/v1/run/${model}`, body, contentType));
        bar?.update(out.length);
      }
    } finally {
      bar?.stop();
    }
    responses.set(model, out);
  }
  return responses.get(model)!;
}

async function score(model: string): Promise<unknown> {
  const answered = await answers(model);
  if (task === "tabular-regression")
    return regressionScore(rows.map((row, i) => ({ expected: Number(row.value), predicted: answered[i] as number })));
  if (CLASSIFIERS.has(task)) {
    return classificationScore(
      rows.map((row, i) => ({ expected: String(row.label), predicted: topLabel(answered[i]) })),
    );
  }
  if (task === "ocr" && rows.every((row) => Array.isArray(row.lines))) return pageScore(answered);
  if (task === "ocr")
    return ocrScore(rows.map((row, i) => ({ expected: String(row.text), predicted: ocrText(answered[i]) })));
  if (task === "voice-activity") {
    const labelled = rows
      .map((row, i) => [row.frames as number[] | undefined, vadFrames(answered[i])] as const)
      .filter(([expected]) => expected);
    if (labelled.length === 0) return { note: "no frame labels in the data; see agreement" };
    const all = labelled.map(([expected, predicted]) => frameAgreement(expected!, predicted));
    const frames = all.reduce((s, a) => s + a.frames, 0);
    return { frames, frameAccuracy: all.reduce((s, a) => s + a.agreement * a.frames, 0) / frames };
  }
  throw new Error(`eval does not score task '${task}'`);
}

function topLabel(answer: unknown): string {
  const list = (Array.isArray(answer) ? answer : []) as { label: string; score: number }[];
  return list.reduce((best, item) => (item.score > best.score ? item : best), { label: "", score: -Infinity }).label;
}

function ocrLines(answer: unknown): string[] {
  return ((answer as { lines?: { text: string }[] }).lines ?? []).map((line) => line.text);
}

function ocrText(answer: unknown): string {
  return ocrLines(answer).join("\n");
}

/** Pages of lines: exact pages, exact lines and CER, over all pages and per angle, skew and columns. */
function pageScore(answered: unknown[]) {
  const pages = rows.map((row, i) => ({ groups: pageGroups(row), score: scorePage(ocrLines(answered[i]), row.lines) }));
  const groups = scoreGroups(pages);
  const all = groups.at(-1)!;
  const angles = answered.filter((answer, i) => (answer as { angle?: number }).angle === rows[i]!.angle).length;
  return {
    n: rows.length,
    exactMatch: all.pagesExact / all.pages,
    exactLines: all.linesExact / all.lines,
    cer: all.cer,
    ...(rows.every((row) => row.angle !== undefined) && { anglesRight: angles / rows.length }),
    groups,
  };
}

/** Per-frame speech decisions: the response's `frames` (probabilities, threshold 0.5) or its segments. */
function vadFrames(answer: unknown): number[] {
  const { frames, segments = [] } = answer as { frames?: number[]; segments?: { start: number; end: number }[] };
  if (frames) return frames.map((p) => (p >= 0.5 ? 1 : 0));
  const duration = segments.reduce((end, s) => Math.max(end, s.end), 0);
  return segmentsToFrames(segments, VAD_FRAME_SECONDS, duration);
}

async function vadAgreement(a: string, b: string) {
  const [first, second] = [await answers(a), await answers(b)];
  const all = first.map((answer, i) => frameAgreement(vadFrames(answer), vadFrames(second[i])));
  const frames = all.reduce((s, x) => s + x.frames, 0);
  return { frames, agreement: all.reduce((s, x) => s + x.agreement * x.frames, 0) / Math.max(1, frames) };
}

async function topAgreement(a: string, b: string) {
  const [first, second] = [await answers(a), await answers(b)];
  return {
    n: first.length,
    sameTopLabel:
      first.filter((answer, i) => topLabel(answer) === topLabel(second[i])).length / Math.max(1, first.length),
  };
}

async function call(method: string, path: string, body?: string | Uint8Array, contentType?: string): Promise<unknown> {
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    ...(key ? { Authorization: `Bearer ${key}` } : {}),
    ...(contentType ? { "Content-Type": contentType } : {}),
  };
  let response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  // 503: busy, or a local isolate that restarted mid-request (workerd retries only GETs); sent again after a pause
  for (let retry = 1; retry <= 3 && response.status === 503; retry++) {
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 2000 * retry));
    response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

/** JSON Lines, or one JSON array (e.g. test/data/digits/index.json). */
function readRows(path: string): Record<string, any>[] {
  const text = readFileSync(path, "utf8").trim();
  if (text.startsWith("[")) return JSON.parse(text) as Record<string, any>[];
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, any>);
}

function readKeyFile(): string | undefined {
  try {
    return readFileSync(".dev-api-key", "utf8").trim();
  } catch {
    return undefined;
  }
}

function render(result: Record<string, any>): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [`${result.model} (${result.task}) on ${result.data}: ${result.n} items`];
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  const describe = (label: string, s: any) => {
    if (s.groups) {
      lines.push(
        `${label}: exact pages ${pct(s.exactMatch)}, exact lines ${pct(s.exactLines)}, CER ${pct(s.cer)}${s.anglesRight === undefined ? "" : `, page angle right ${pct(s.anglesRight)}`}`,
      );
      lines.push("| group | pages | exact pages | lines | exact lines | CER |", "|---|---|---|---|---|---|");
      for (const g of s.groups as GroupScore[])
        lines.push(
          `| ${g.group} | ${g.pages} | ${g.pagesExact} (${percent(g.pagesExact / g.pages)}) | ${g.lines} | ${g.linesExact} (${percent(g.linesExact / g.lines)}) | ${percent(g.cer)} |`,
        );
      return;
    }
    if (s.accuracy !== undefined) {
      lines.push(`${label}: accuracy ${pct(s.accuracy)}, macro F1 ${s.macroF1.toFixed(4)}`);
      lines.push("  class        precision  recall     F1         support");
      for (const [name, c] of Object.entries<any>(s.perClass))
        lines.push(
          `  ${name.padEnd(12)} ${c.precision.toFixed(4).padEnd(10)} ${c.recall.toFixed(4).padEnd(10)} ${c.f1.toFixed(4).padEnd(10)} ${c.support}`,
        );
    } else if (s.rmse !== undefined)
      lines.push(`${label}: MAE ${s.mae.toFixed(4)}, RMSE ${s.rmse.toFixed(4)}, R² ${s.r2.toFixed(4)}`);
    else if (s.exactMatch !== undefined) lines.push(`${label}: exact match ${pct(s.exactMatch)}, CER ${pct(s.cer)}`);
    else if (s.frameAccuracy !== undefined)
      lines.push(`${label}: frame accuracy ${pct(s.frameAccuracy)} over ${s.frames} frames`);
    else lines.push(`${label}: ${JSON.stringify(s)}`);
  };
  describe(result.model, result.scores);
  for (const other of result.compare ?? []) {
    describe(other.model, other.scores);
    const [a, b] = [result.scores, other.scores];
    const points = (x: number, y: number) => ((x - y) * 100).toFixed(2);
    if (a.accuracy !== undefined)
      lines.push(`delta (${result.model} − ${other.model}): accuracy ${points(a.accuracy, b.accuracy)} points`);
    if (a.exactLines !== undefined)
      lines.push(
        `delta (${result.model} − ${other.model}): exact lines ${points(a.exactLines, b.exactLines)} points, CER ${points(a.cer, b.cer)} points`,
      );
    else if (a.exactMatch !== undefined)
      lines.push(
        `delta (${result.model} − ${other.model}): exact match ${points(a.exactMatch, b.exactMatch)} points, CER ${points(a.cer, b.cer)} points`,
      );
  }
  if (result.agreement) lines.push(`agreement between the two: ${JSON.stringify(result.agreement)}`);
  return lines.join("\n");
}
