/**
 * `npm run bench -- soak`: mixed traffic against one isolate for SOAK_MINUTES (default 10); not part of the full run
 * nor of CI. Six clients send, at random, what the bundled task models serve (OCR pages, digit images, texts for
 * language identification and embeddings, speech, rows of features), recognizer lines of random widths, and a
 * 29,000-pixel line the server must refuse (413). Every minute it reads the isolate's WASM heap and the p50 of the
 * minute's requests: both should stay flat. Any other status fails the section.
 */
import { fetchAgainIfClosed } from "../lib/fetch-again";
import { taskSample } from "../lib/task-samples";
import type { BenchContext } from "./context";
import { recognizerLine } from "./fairness";
import { mib, ms, summarize, table } from "./measure";

const CLIENTS = 6;
const MINUTE = 60_000;

interface Kind {
  name: string;
  expect: number;
  request(): Promise<Response>;
}

interface Window {
  times: number[];
  byKind: Record<string, number[]>;
  statuses: Record<number, number>;
}

interface RuntimeStats {
  wasmMemoryBytes: number;
  freeBytes: number;
  budgetBytes: number;
  sessions: unknown[];
}

export async function benchSoak({ server, manifests, log }: BenchContext): Promise<string> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 10);
  const metered = await server("metered");
  const auth = { Authorization: `Bearer ${metered.apiKey}` };
  const post = (path: string, init: RequestInit) =>
    fetchAgainIfClosed(`${metered.baseUrl}${path}`, { method: "POST", ...init });
  const tasks = manifests.flatMap((manifest) => {
    const sample = taskSample(manifest);
    return sample ? [{ name: manifest.name, sample }] : [];
  });
  const kinds: Kind[] = [
    ...tasks.map(({ name, sample }) => ({
      name,
      expect: 200,
      request: () =>
        post(`/v1/run/${name}`, {
          headers: { ...auth, ...sample.headers, "Cache-Control": "no-store" },
          body: sample.body,
        }),
    })),
    {
      name: "ppocr-rec line",
      expect: 200,
      request: () => post("/v2/models/ppocr-rec/infer", recognizerLine(auth, 32 * (10 + random(90)))),
    },
    {
      name: "ppocr-rec 29000 (refused)",
      expect: 413,
      request: () => post("/v2/models/ppocr-rec/infer", recognizerLine(auth, 29_000)),
    },
  ];
  const runtime = async () =>
    (await (
      await fetchAgainIfClosed(`${metered.baseUrl}/admin/runtime`, {
        headers: { Authorization: `Bearer ${metered.adminToken}` },
      })
    ).json()) as RuntimeStats;

  const fresh = (): Window => ({ times: [], byKind: {}, statuses: {} });
  const windows: (Window & { minute: number; heap: number; free: number; sessions: number })[] = [];
  let current = fresh();
  const failures: string[] = [];
  const started = performance.now();
  const deadline = started + minutes * MINUTE;
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < deadline) {
      const kind = kinds[random(kinds.length)]!;
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
      current = fresh();
      const stats = await runtime();
      windows.push({
        minute,
        ...window,
        heap: stats.wasmMemoryBytes,
        free: stats.freeBytes,
        sessions: stats.sessions.length,
      });
      log(`soak: minute ${minute}: ${window.times.length} answered, heap ${mib(stats.wasmMemoryBytes)} MiB`);
    }
  })();
  await Promise.all([...clients, sampler]);
  if (failures.length > 0)
    throw new Error(`soak: ${failures.length} unexpected statuses, e.g. ${failures.slice(0, 5).join("; ")}`);

  const p50 = (times?: number[]) => (times?.length ? ms(summarize(times).p50) : "–");
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
  const { budgetBytes } = await runtime();
  return [
    `## Soak: mixed traffic for ${minutes} minutes (\`npm run bench -- soak\`)`,
    "",
    `${CLIENTS} clients on the metered server send, at random, a request each bundled task model serves`,
    `(${tasks.map(({ name }) => name).join(", ")}), a ppocr-rec line 320 to 3,200 pixels wide, and a 29,000-pixel line`,
    "the server must refuse (413); every minute the isolate's WASM heap is read from `/admin/runtime`. Not in CI.",
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
    `The heap over the run: ${mib(Math.min(...heaps))} to ${mib(Math.max(...heaps))} MiB (budget ${mib(budgetBytes)} MiB); no status but the expected ones.`,
  ].join("\n");
}

function random(n: number): number {
  return Math.floor(Math.random() * n);
}
