// Issue 5 figures: per task model, end-to-end HTTP latency of `POST /v1/run/{model}` next to the time spent inside
// session.run and in pre/post-processing (the Worker's Server-Timing `run`, `pre`, `post`, averaged), so the share
// spent outside the model is visible. Aim: pre + post under 20% of end to end.
import { taskSample } from "../lib/task-samples.mjs";
import { ms, sample, serverTiming, summarize, table } from "./measure.mjs";

const WARMUP = 30;
const ITERATIONS = 100;

export async function benchTasks({ server, manifests, log }) {
  const open = await server("open");
  const rows = [];
  for (const manifest of manifests) {
    const request = taskSample(manifest);
    if (!request) continue;
    log(`tasks: ${manifest.task} on ${manifest.name}`);
    const timings = [];
    const url = `${open.baseUrl}/v1/run/${manifest.name}`;
    const headers = { ...request.headers, "Cache-Control": "no-store" };
    const e2e = await sample(async () => {
      const response = await fetch(url, { method: "POST", headers, body: request.body });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      timings.push(serverTiming(response.headers.get("server-timing")));
    }, { warmup: WARMUP, iterations: ITERATIONS });
    const timed = timings.slice(WARMUP);
    const mean = (name) => summarize(timed.map((t) => t[name] ?? 0)).mean;
    const [pre, run, post, infer] = [mean("pre"), mean("run"), mean("post"), mean("infer")];
    rows.push([
      manifest.task,
      manifest.name,
      request.what,
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
    `${ITERATIONS} timed sequential requests. \`session.run\` is the Worker's Server-Timing \`run\` (summed over the request's session calls),`,
    "`infer stage outside run` is the rest of the infer stage (tensor hand-over, and for pipelines the steps between models),",
    "`pre`/`post` are the task's pre- and post-processing (Server-Timing means; the clock ticks in whole milliseconds, so",
    "sub-millisecond stages show as averages of 0 and 1). Aim: pre + post under 20% of end to end.",
    "",
    table(["task", "model", "input", "end-to-end p50 / mean ms", "session.run ms", "infer stage outside run ms", "pre ms", "post ms", "pre + post share", "all outside session.run"], rows),
  ].join("\n");
}
