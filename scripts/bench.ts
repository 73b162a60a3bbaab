/**
 * `npm run bench`: runs the Worker (bundled as `wrangler deploy` bundles it) on local workerd with fresh state,
 * measures, and writes docs/BENCHMARKS.md. Every figure is read in this one run, and comparisons are ratios against a
 * reference measured in the same run. `npm run bench -- <section> [<section> ...]` runs only those sections;
 * `soak` (ten minutes of mixed traffic) runs only when named.
 *
 * Each section sits in docs/BENCHMARKS.md between its own markers (`<!-- section:name -->`); a run replaces only the
 * sections it measured, as each finishes, and leaves the rest of the file as it is. A section ends with the date and
 * the machine it was measured on.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchCache } from "./bench/cache";
import { benchColdStart } from "./bench/coldstart";
import type { BenchContext, BenchSection, BenchServers } from "./bench/context";
import { benchEmbeddings } from "./bench/embeddings";
import { benchFairness } from "./bench/fairness";
import { benchImages } from "./bench/images";
import { benchInference } from "./bench/inference";
import { benchQuantize } from "./bench/quantize";
import { benchSoak } from "./bench/soak";
import { benchTasks } from "./bench/tasks";
import { benchTenancy } from "./bench/tenancy";
import { benchTextClassification } from "./bench/text-classification";
import { benchVoice } from "./bench/voice";
import { bundledManifests, ROOT } from "./lib/bundled-models";
import { startBareWorker, startWorker } from "./lib/worker-server";

/** The sections, in the order they stand in a new docs/BENCHMARKS.md. */
const SECTIONS: Record<string, BenchSection> = {
  inference: benchInference,
  coldstart: benchColdStart,
  tenancy: benchTenancy,
  cache: benchCache,
  tasks: benchTasks,
  embeddings: benchEmbeddings,
  images: benchImages,
  text: benchTextClassification,
  voice: benchVoice,
  quantize: benchQuantize,
  fairness: benchFairness,
  soak: benchSoak,
};
/** Sections a full run leaves out: they run only when named (`soak` takes ten minutes). */
const ON_REQUEST = new Set(["soak"]);

const FILE = join(ROOT, "docs", "BENCHMARKS.md");
const NEW_FILE_HEADER = [
  "# Benchmarks",
  "",
  "Written by `npm run bench`. The Worker runs bundled as `wrangler deploy` bundles it, on local workerd (Miniflare, the",
  "engine under `wrangler dev`), and is called on its own socket over loopback. Absolute figures depend on the machine;",
  "compare the ratios, each measured within one section's run.",
].join("\n");

const PORT = Number(process.env.BENCH_PORT ?? 8797);
const log = (line: string) => console.log(`[bench] ${line}`);
const states: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-maas-bench-"));
  states.push(dir);
  return dir;
};

/** How each shared server starts; each runs on its own port and state folder. */
const STARTERS: { [N in keyof BenchServers]: (port: number, persistTo: string) => Promise<BenchServers[N]> } = {
  metered: (port, persistTo) => startWorker({ port, persistTo }),
  open: (port, persistTo) => startWorker({ port, persistTo, vars: { TENANCY: "off" } }),
  bare: (port, persistTo) => startBareWorker({ port, persistTo }),
};
const PORTS: Record<keyof BenchServers, number> = { metered: PORT, open: PORT + 1, bare: PORT + 2 };
const serverStates: Partial<Record<keyof BenchServers, string>> = {};
const running: { [N in keyof BenchServers]?: Promise<BenchServers[N]> } = {};

const context: BenchContext = {
  manifests: bundledManifests(),
  log,
  server<N extends keyof BenchServers>(name: N = "metered" as N) {
    const persistTo = (serverStates[name] ??= stateDir());
    running[name] ??= STARTERS[name](PORTS[name], persistTo) as (typeof running)[N];
    return running[name] as Promise<BenchServers[N]>;
  },
  async restart(name) {
    const current = running[name];
    delete running[name];
    if (current) await (await current).stop();
    return context.server(name);
  },
  port: (offset) => PORT + 10 + offset,
  stateDir,
};

try {
  const chosen = process.argv.slice(2);
  for (const name of chosen)
    if (!SECTIONS[name]) throw new Error(`unknown section '${name}'; sections: ${Object.keys(SECTIONS).join(", ")}`);
  const names = chosen.length > 0 ? chosen : Object.keys(SECTIONS).filter((name) => !ON_REQUEST.has(name));
  for (const name of names) {
    const text = await SECTIONS[name]!(context);
    if (chosen.length > 0) console.log(text);
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}`;
    const measured = `_Section \`${name}\` measured on ${new Date().toISOString().slice(0, 10)} (${machine})._`;
    writeSection(name, `${text}\n\n${measured}`);
    log(`wrote the ${name} section of docs/BENCHMARKS.md`);
  }
} finally {
  for (const server of Object.values(running)) await (await server).stop().catch(() => undefined);
  for (const dir of states) rmSync(dir, { recursive: true, force: true });
}

/** Replaces one section of docs/BENCHMARKS.md between its markers (appended when it is not there yet). */
function writeSection(name: string, text: string): void {
  const markdown = existsSync(FILE) ? readFileSync(FILE, "utf8") : `${NEW_FILE_HEADER}\n`;
  const block = `<!-- section:${name} -->\n${text}\n<!-- /section:${name} -->`;
  const existing = new RegExp(`<!-- section:${name} -->\\n[\\s\\S]*?\\n<!-- /section:${name} -->`);
  const updated = existing.test(markdown)
    ? markdown.replace(existing, () => block)
    : `${markdown.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, updated);
}
