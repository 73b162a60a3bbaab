// `npm run bench -- soak`: mixed traffic against one isolate for SOAK_MINUTES (default 10), not part of the default
// run nor of CI. Six clients send, at random, what the bundled models serve (OCR pages, digit images, texts for
// language identification and embeddings, speech, recognizer lines of random widths), plus requests the server must
// refuse (a 29,000-pixel line, a shape past the body limit). Every minute it reads the isolate's WASM heap and the
// p50 of the minute's requests: both should stay flat. Any 5xx or unexpected status fails the section.
import { taskSample } from "../lib/task-samples.mjs";
import { mib, ms, summarize, table } from "./measure.mjs";

const CLIENTS = 6;
const MINUTE = 60_000;

export async function benchSoak({ server, manifests, log }) {
  const minutes = Number(process.env.SOAK_MINUTES ?? 10);
  const metered = await server("metered");
  const auth = { Authorization: `Bearer ${metered.apiKey}` };
  const tasks = manifests.map((m) => [m.name, taskSample(m)]).filter(([, s]) => s);
  const kinds = [
    ...tasks.map(([name, sample]) => ({ name, expect: 200, request: () => taskRequest(metered, auth, name, sample) })),
    { name: "ppocr-rec line", expect: 200, request: () => lineRequest(metered, auth, 32 * (10 + random(90))) },
    { name: "ppocr-rec 29000 (refused)", expect: 413, request: () => lineRequest(metered, auth, 29_000) },
  ];
  const runtime = async () =>
    (
      await fetch(`${metered.baseUrl}/admin/runtime`, { headers: { Authorization: `Bearer ${metered.adminToken}` } })
    ).json();

  const windows = [];
  let current = { times: [], byKind: {}, statuses: {} };
  const started = performance.now();
  const deadline = started + minutes * MINUTE;
  const failures = [];
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < deadline) {
      const kind = kinds[random(kinds.length)];
      const t = performance.now();
      const response = await kind.request();
      await response.arrayBuffer();
      const elapsed = performance.now() - t;
      current.statuses[response.status] = (current.statuses[response.status] ?? 0) + 1;
      if (response.status !== kind.expect) failures.push(`${kind.name}: HTTP ${response.status}`);
      if (response.status === 200) {
        current.times.push(elapsed);
        (current.byKind[kind.name] ??= []).push(elapsed);
      }
    }
  });
  const sampler = (async () => {
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + minute * MINUTE - performance.now())));
      const window = current;
      current = { times: [], byKind: {}, statuses: {} };
      const stats = await runtime();
      windows.push({
        minute,
        ...window,
        heap: stats.wasmMemoryBytes,
        free: stats.freeBytes,
        sessions: stats.sessions.length,
      });
      log(`soak: minute ${minute}: ${window.times.length} ok, heap ${mib(stats.wasmMemoryBytes)} MiB`);
    }
  })();
  await Promise.all([...clients, sampler]);
  if (failures.length > 0)
    throw new Error(`soak: ${failures.length} unexpected statuses, e.g. ${failures.slice(0, 5).join("; ")}`);

  const p50 = (times) => (times?.length ? ms(summarize(times).p50) : "–");
  const rows = windows.map((w) => [
    String(w.minute),
    String(w.times.length),
    Object.entries(w.statuses)
      .map(([status, count]) => `${status}: ${count}`)
      .join(", "),
    p50(w.times),
    p50(w.byKind["lid-176"]),
    p50(w.byKind.ppocr),
    mib(w.heap),
    mib(w.free),
    String(w.sessions),
  ]);
  const heaps = windows.map((w) => w.heap);
  return [
    "## Soak: mixed traffic for ten minutes (`npm run bench -- soak`)",
    "",
    `${CLIENTS} clients on the metered server send, at random, a request each bundled task serves (${tasks.map(([name]) => name).join(", ")}),`,
    "a ppocr-rec line 320 to 3,200 pixels wide, and a 29,000-pixel line the server must refuse (413); every minute the",
    "isolate's WASM heap is read from `/admin/runtime`. Not in CI. The heap and the p50s should stay flat.",
    "",
    table(
      [
        "minute",
        "answered",
        "statuses",
        "p50 ms (all 200s)",
        "lid-176 p50 ms",
        "ppocr page p50 ms",
        "WASM heap MiB",
        "free MiB",
        "sessions",
      ],
      rows,
    ),
    "",
    `Heap over the run: ${mib(Math.min(...heaps))} to ${mib(Math.max(...heaps))} MiB (budget ${mib((await runtime()).budgetBytes)} MiB); no 5xx.`,
  ].join("\n");
}

function random(n) {
  return Math.floor(Math.random() * n);
}

function taskRequest(metered, auth, name, sample) {
  return fetch(`${metered.baseUrl}/v1/run/${name}`, {
    method: "POST",
    headers: { ...auth, ...sample.headers, "Cache-Control": "no-store" },
    body: sample.body,
  });
}

/** ppocr-rec on one line of `width` pixels (random values), in the binary tensor extension. */
function lineRequest(metered, auth, width) {
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
  return fetch(`${metered.baseUrl}/v2/models/ppocr-rec/infer`, {
    method: "POST",
    headers: {
      ...auth,
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.byteLength),
      "Cache-Control": "no-store",
    },
    body,
  });
}
