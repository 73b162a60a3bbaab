// Where the time goes in each task: per task model, end-to-end HTTP latency of `POST /v1/run/{model}` next to the time
// spent inside session.run and in pre/post-processing (the Worker's Server-Timing `run`, `pre`, `post`, averaged), so the
// share spent outside the model is visible (aim: pre + post under 20% of end to end); and for `ppocr`, what its page
// steps (orientation vote, quarter-turn check, deskew) cost on upright pages against the per-line pipeline (aim: ≤ 1.15×).
import { readFileSync } from "node:fs";
import { repoPath } from "../lib/bundled-models.mjs";
import { taskSample } from "../lib/task-samples.mjs";
import { ms, ratio, sample, serverTiming, summarize, table } from "./measure.mjs";

const WARMUP = 30;
// Timed requests per task: enough for about TARGET_MS of requests, within these bounds. Stage times are means of
// whole-millisecond clock readings; a 0.3 ms stage reads 0 or 1, so its mean needs many requests to settle
// (standard error ≈ 0.46 / √n ms: 0.046 at 100 requests, 0.015 at 1,000).
const MIN_ITERATIONS = 100;
const MAX_ITERATIONS = 1500;
const TARGET_MS = 4000;

/** Upright pages (no quarter turn, tilted under 1°): the OCR page steps must cost them little. */
const UPRIGHT_PAGES = [
  { what: "a 3-line English page (745x162 PNG)", path: "test/data/ocr/images/en-doc-08.png", type: "image/png" },
  {
    what: "a photographed 6-line page, tilted 0.4° (394x322 JPEG)",
    path: "test/data/ocr-pages/images/dev-011.jpg",
    type: "image/jpeg",
  },
];
/** The OCR pipeline without its page steps: each line's own direction, no deskew (PaddleOCR's behaviour). */
const PER_LINE = "?orientation=line&deskew=false";
const PAGE_ROUNDS = 9;
const PAGE_REQUESTS_PER_ROUND = 8;

/**
 * `fetch`, sent once more when the server closed a kept-alive connection just as it was reused (local workerd does
 * now and then on a loaded machine; the request never reached the Worker, and the failed attempt took milliseconds).
 */
async function post(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!["ECONNRESET", "UND_ERR_SOCKET"].includes(error.cause?.code)) throw error;
    return fetch(url, init);
  }
}

export async function benchTasks({ server, manifests, log }) {
  const open = await server("open");
  const taskTable = await benchTaskStages({ open, manifests, log });
  const pageTable = manifests.some((m) => m.name === "ppocr") ? await benchOcrPageSteps({ open, log }) : undefined;
  return [taskTable, ...(pageTable ? ["", pageTable] : [])].join("\n");
}

/**
 * `ppocr` with its page steps (default: page orientation vote, quarter-turn check, deskew) against the same pipeline
 * without them (`?orientation=line&deskew=false`), on upright pages, in alternating rounds of sequential requests;
 * the median round's mean is reported for each. Aim: at most +15%.
 */
async function benchOcrPageSteps({ open, log }) {
  const rows = [];
  for (const page of UPRIGHT_PAGES) {
    log(`tasks: ppocr page steps on ${page.path}`);
    const body = readFileSync(repoPath(page.path));
    const headers = { "Content-Type": page.type, "Cache-Control": "no-store" };
    const runs = {};
    const call = (query) => async () => {
      const response = await post(`${open.baseUrl}/v1/run/ppocr${query}`, { method: "POST", headers, body });
      if (!response.ok) throw new Error(`ppocr${query}: HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      runs[query] = serverTiming(response.headers.get("server-timing")).sessionRuns;
    };
    const rounds = { "": [], [PER_LINE]: [] };
    for (const query of Object.keys(rounds)) await sample(call(query), { warmup: 5, iterations: 0 });
    for (let round = 0; round < PAGE_ROUNDS; round++) {
      for (const query of round % 2 === 0 ? ["", PER_LINE] : [PER_LINE, ""]) {
        rounds[query].push((await sample(call(query), { warmup: 0, iterations: PAGE_REQUESTS_PER_ROUND })).mean);
      }
    }
    const median = (values) => summarize(values).p50;
    const [withSteps, perLine] = [median(rounds[""]), median(rounds[PER_LINE])];
    rows.push([
      page.what,
      `${ms(withSteps)} (${runs[""]})`,
      `${ms(perLine)} (${runs[PER_LINE]})`,
      ratio(withSteps, perLine),
    ]);
  }
  return [
    "### OCR page steps on upright pages",
    "",
    `\`POST /v1/run/ppocr\` with the page steps (the default: the lines' vote on the page's direction, the quarter-turn check, deskew`,
    `when tilted over 1°) against \`${PER_LINE}\` (each line's own direction, no deskew), ${PAGE_ROUNDS} alternating rounds of`,
    `${PAGE_REQUESTS_PER_ROUND} sequential requests each; the median round's mean per request, session runs in brackets. Aim: at most 1.15×.`,
    "",
    table(["upright page", "with page steps ms (runs)", "per line ms (runs)", "ratio"], rows),
  ].join("\n");
}

async function benchTaskStages({ open, manifests, log }) {
  const rows = [];
  for (const manifest of manifests) {
    const request = taskSample(manifest);
    if (!request) continue;
    log(`tasks: ${manifest.task} on ${manifest.name}`);
    const timings = [];
    const url = `${open.baseUrl}/v1/run/${manifest.name}`;
    const headers = { ...request.headers, "Cache-Control": "no-store" };
    const call = async () => {
      const response = await post(url, { method: "POST", headers, body: request.body });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      timings.push(serverTiming(response.headers.get("server-timing")));
    };
    const warm = await sample(call, { warmup: 0, iterations: WARMUP });
    const iterations = Math.max(MIN_ITERATIONS, Math.min(MAX_ITERATIONS, Math.round(TARGET_MS / warm.p50)));
    const e2e = await sample(call, { warmup: 0, iterations });
    const timed = timings.slice(WARMUP);
    const mean = (name) => summarize(timed.map((t) => t[name] ?? 0)).mean;
    const [pre, run, post, infer] = [mean("pre"), mean("run"), mean("post"), mean("infer")];
    rows.push([
      manifest.task,
      manifest.name,
      request.what,
      String(iterations),
      `${ms(e2e.p50)} / ${ms(e2e.mean)}`,
      ms(run),
      ms(infer - run),
      ms(pre),
      ms(post),
      `${(((pre + post) / e2e.mean) * 100).toFixed(1)}%`,
      `${(((e2e.mean - run) / e2e.mean) * 100).toFixed(1)}%`,
    ]);
  }
  return [
    "## Tasks: where the time goes (issue 5)",
    "",
    `\`POST /v1/run/{model}\` on a \`TENANCY=off\` server, \`Cache-Control: no-store\` (every request runs the model), ${WARMUP} warm-up and`,
    `then sequential timed requests (about ${TARGET_MS / 1000} s worth, ${MIN_ITERATIONS}–${MAX_ITERATIONS}). \`session.run\` is the Worker's Server-Timing \`run\` (summed over the request's session calls),`,
    "`infer stage outside run` is the rest of the infer stage (tensor hand-over, and for pipelines the steps between models),",
    "`pre`/`post` are the task's pre- and post-processing (Server-Timing means; the clock ticks in whole milliseconds, so",
    "sub-millisecond stages show as averages of 0 and 1). Aim: pre + post under 20% of end to end.",
    "",
    table(
      [
        "task",
        "model",
        "input",
        "requests",
        "end-to-end p50 / mean ms",
        "session.run ms",
        "infer stage outside run ms",
        "pre ms",
        "post ms",
        "pre + post share",
        "all outside session.run",
      ],
      rows,
    ),
  ].join("\n");
}
