/**
 * Fairness within one isolate: the p50 of small requests (lid-176 on one sentence) alone, then while one client reads
 * an OCR page in a loop (a pipeline of detector, classifier and recognizer runs), then while eight clients keep a
 * backlog of recognizer requests on another model. The Worker runs one WASM run at a time: what a small request waits
 * for is the run in progress and, without per-model queues, every run queued before it.
 */
import type { BundledManifest } from "../lib/bundled-manifest";
import { taskSample } from "../lib/task-samples";
import type { BenchContext } from "./context";
import { ms, ratio, type Summary, sample, summarize, table } from "./measure";

const SMALL = 200;
const WARMUP = 20;

export async function benchFairness({ server, manifests, log }: BenchContext): Promise<string> {
  const metered = await server("metered");
  const auth = { Authorization: `Bearer ${metered.apiKey}` };
  const small = sampleOf(manifests, "lid-176");
  const page = sampleOf(manifests, "ppocr");

  let n = 0;
  const smallCall = () =>
    expectOk(
      fetch(`${metered.baseUrl}/v1/run/lid-176`, {
        method: "POST",
        headers: { ...auth, ...small.headers, "Cache-Control": "no-store" },
        body: JSON.stringify({ text: `${JSON.parse(small.body as string).text} ${n++}` }),
      }),
    );
  const ocrCall = () =>
    expectOk(
      fetch(`${metered.baseUrl}/v1/run/ppocr`, {
        method: "POST",
        headers: { ...auth, ...page.headers, "Cache-Control": "no-store" },
        body: page.body,
      }),
    );
  const recognizerCall = () =>
    expectOk(fetch(`${metered.baseUrl}/v2/models/ppocr-rec/infer`, recognizerLine(auth, 320)));

  log("fairness: small requests alone");
  const alone = await sample(smallCall, { warmup: WARMUP, iterations: SMALL });
  await ocrCall(); // the pipeline's sessions loaded before timing
  await recognizerCall();

  log("fairness: small requests while one client reads an OCR page in a loop");
  const ocr = await whileLooping([ocrCall], () => sample(smallCall, { warmup: 0, iterations: SMALL }));
  log("fairness: small requests while eight clients keep a recognizer backlog");
  const backlog = await whileLooping(Array(8).fill(recognizerCall), () =>
    sample(smallCall, { warmup: 0, iterations: SMALL }),
  );

  const row = (what: string, busy: Looped, work: string) => [
    what,
    ms(busy.result.p50),
    ms(busy.result.p99),
    ratio(busy.result.p50, alone.p50),
    `${busy.completed} ${work}, p50 ${ms(busy.p50)} ms`,
  ];
  return [
    "## Fairness within an isolate",
    "",
    `${SMALL} sequential small requests (\`POST /v1/run/lid-176\`, one sentence, \`Cache-Control: no-store\`) on the metered`,
    "server, alone and while other clients keep the same isolate busy. The Worker runs one WASM run at a time; runs take",
    "turns from one queue per model, and a pipeline lets requests in between its stages, so a small request waits for",
    "about one run, not for a whole page or a backlog.",
    "",
    table(
      ["background", "small p50 ms", "small p99 ms", "p50 vs alone", "background work done meanwhile"],
      [
        ["none", ms(alone.p50), ms(alone.p99), "1.00×", "–"],
        row("one client reading an OCR page in a loop", ocr, "pages"),
        row("eight clients keeping a ppocr-rec backlog (320-pixel lines)", backlog, "lines"),
      ],
    ),
  ].join("\n");
}

interface Looped {
  result: Summary;
  completed: number;
  p50?: number;
}

/** Runs each of `loops` (one client each) over and over while `measure` runs. */
async function whileLooping(loops: (() => Promise<void>)[], measure: () => Promise<Summary>): Promise<Looped> {
  let running = true;
  const times: number[] = [];
  const clients = loops.map(async (call) => {
    while (running) {
      const started = performance.now();
      await call();
      times.push(performance.now() - started);
    }
  });
  try {
    const result = await measure();
    return { result, completed: times.length, p50: times.length > 0 ? summarize(times).p50 : undefined };
  } finally {
    running = false;
    await Promise.all(clients);
  }
}

function sampleOf(manifests: BundledManifest[], name: string) {
  const manifest = manifests.find((m) => m.name === name);
  const sample = manifest && taskSample(manifest);
  if (!sample) throw new Error(`no task sample for the bundled model '${name}'`);
  return sample;
}

/** An OIP binary-extension request for ppocr-rec on one line of `width` pixels (random values). */
export function recognizerLine(auth: Record<string, string>, width: number): RequestInit {
  const values = new Float32Array(3 * 48 * width);
  for (let i = 0; i < values.length; i += 97) values[i] = Math.random() * 2 - 1;
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [
        { name: "x", datatype: "FP32", shape: [1, 3, 48, width], parameters: { binary_data_size: values.byteLength } },
      ],
      parameters: { binary_data_output: true },
    }),
  );
  const body = new Uint8Array(header.byteLength + values.byteLength);
  body.set(header);
  body.set(new Uint8Array(values.buffer), header.byteLength);
  return {
    method: "POST",
    headers: {
      ...auth,
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.byteLength),
      "Cache-Control": "no-store",
    },
    body,
  };
}

async function expectOk(responsePromise: Promise<Response>): Promise<void> {
  const response = await responsePromise;
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}
