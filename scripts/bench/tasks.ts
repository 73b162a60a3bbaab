/**
 * Per task model, end-to-end HTTP latency of `POST /v1/run/{model}` next to the time spent inside session.run and in
 * pre/post-processing (the Worker's Server-Timing `run`, `pre`, `post`, averaged), so the share spent outside the
 * model is visible. Aim: pre + post under 20% of end to end.
 */
import { taskSample } from "../lib/task-samples";
import type { BenchContext } from "./context";
import { ms, postTimed, sample, share, stageMeans, type Timing, table } from "./measure";

const WARMUP = 30;
// Timed requests per task: enough for about TARGET_MS of requests, within these bounds. Stage times are means of
// whole-millisecond clock readings; a 0.3 ms stage reads 0 or 1, so its mean needs many requests to settle
// (standard error ≈ 0.46 / √n ms: 0.046 at 100 requests, 0.015 at 1,000).
const MIN_ITERATIONS = 100;
const MAX_ITERATIONS = 1500;
const TARGET_MS = 4000;

export async function benchTasks({ server, manifests, log }: BenchContext): Promise<string> {
  const open = await server("open");
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
