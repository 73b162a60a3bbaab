/**
 * Per task model, end-to-end HTTP latency of `POST /v1/run/{model}` next to the time spent inside session.run and in
 * pre/post-processing (the Worker's Server-Timing `run`, `pre`, `post`, averaged), so the share spent outside the
 * model is visible (aim: pre + post under 20% of end to end); and for `ppocr`, what its page steps (orientation
 * vote, quarter-turn check, deskew) cost on upright pages against the per-line pipeline (aim: at most 1.15×).
 */
import { readFileSync } from "node:fs";
import { repoPath } from "../lib/bundled-models";
import { taskSample } from "../lib/task-samples";
import type { WorkerHandle } from "../lib/worker-server";
import type { BenchContext } from "./context";
import { median, ms, postTimed, ratio, sample, share, stageMeans, type Timing, table } from "./measure";

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

export async function benchTasks({ server, manifests, log }: BenchContext): Promise<string> {
  const open = await server("open");
  const stages = await benchTaskStages(open, manifests, log);
  if (!manifests.some((m) => m.name === "ppocr")) return stages;
  return [stages, "", await benchOcrPageSteps(open, log)].join("\n");
}

/**
 * `ppocr` with its page steps (the default: the lines' vote on the page's direction, the quarter-turn check, deskew)
 * against the same pipeline without them (`?orientation=line&deskew=false`), on upright pages, in alternating rounds
 * of sequential requests; the median round's mean is reported for each.
 */
async function benchOcrPageSteps(open: WorkerHandle, log: BenchContext["log"]): Promise<string> {
  const rows = [];
  for (const page of UPRIGHT_PAGES) {
    log(`tasks: ppocr page steps on ${page.path}`);
    const init = {
      headers: { "Content-Type": page.type, "Cache-Control": "no-store" },
      body: readFileSync(repoPath(page.path)),
    };
    const runs: Record<string, number | undefined> = {};
    const call = (query: string) => async () => {
      runs[query] = (await postTimed(`${open.baseUrl}/v1/run/ppocr${query}`, init)).sessionRuns;
    };
    const rounds: Record<string, number[]> = { "": [], [PER_LINE]: [] };
    for (const query of Object.keys(rounds)) await sample(call(query), { warmup: 5, iterations: 1 });
    for (let round = 0; round < PAGE_ROUNDS; round++) {
      for (const query of round % 2 === 0 ? ["", PER_LINE] : [PER_LINE, ""]) {
        rounds[query]!.push((await sample(call(query), { warmup: 0, iterations: PAGE_REQUESTS_PER_ROUND })).mean);
      }
    }
    const [withSteps, perLine] = [median(rounds[""]!), median(rounds[PER_LINE]!)];
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
    "`POST /v1/run/ppocr` with the page steps (the default: the lines' vote on the page's direction, the quarter-turn check,",
    `deskew when tilted over 1°) against \`${PER_LINE}\` (each line's own direction, no deskew), ${PAGE_ROUNDS} alternating rounds`,
    `of ${PAGE_REQUESTS_PER_ROUND} sequential requests each; the median round's mean per request, session runs in brackets. Aim: at most 1.15×.`,
    "",
    table(["upright page", "with page steps ms (runs)", "per line ms (runs)", "ratio"], rows),
  ].join("\n");
}

async function benchTaskStages(open: WorkerHandle, manifests: BenchContext["manifests"], log: BenchContext["log"]) {
  const rows = [];
  for (const manifest of manifests) {
    const request = taskSample(manifest);
    if (!request) continue;
    log(`tasks: ${manifest.task} on ${manifest.name}`);
    const timings: Timing[] = [];
    const url = `${open.baseUrl}/v1/run/${manifest.name}`;
    const init = { headers: { ...request.headers, "Cache-Control": "no-store" }, body: request.body };
    const call = async () => timings.push(await postTimed(url, init));
    const warm = await sample(call, { warmup: 0, iterations: WARMUP });
    const iterations = Math.max(MIN_ITERATIONS, Math.min(MAX_ITERATIONS, Math.round(TARGET_MS / warm.p50)));
    const e2e = await sample(call, { warmup: 0, iterations });
    const { pre, run, post, infer } = stageMeans(timings.slice(WARMUP));
    rows.push([
      manifest.task ?? "tensor",
      manifest.name,
      request.what,
      String(iterations),
      `${ms(e2e.p50)} / ${ms(e2e.mean)}`,
      ms(run),
      ms(infer - run),
      ms(pre),
      ms(post),
      share(pre + post, e2e.mean),
      share(e2e.mean - run, e2e.mean),
    ]);
  }
  return [
    "## Tasks: where the time goes",
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
