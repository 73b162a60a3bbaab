#!/usr/bin/env node
// `npm run bench`: runs the Worker (bundled as `wrangler deploy` bundles it) on local workerd with fresh state,
// measures, and writes docs/BENCHMARKS.md. Every figure is read in this one run, and comparisons are ratios against
// a reference measured in the same run. `npm run bench -- <section> [<section> ...]` runs those sections, prints them
// and replaces only their part of docs/BENCHMARKS.md (each section sits between its own markers; the run date of a
// section is stated in it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchCache } from "./bench/cache.mjs";
import { benchEmbeddings } from "./bench/embeddings.mjs";
import { benchFairness } from "./bench/fairness.mjs";
import { benchImages } from "./bench/images.mjs";
import { benchInference } from "./bench/inference.mjs";
import { benchQuantize } from "./bench/quantize.mjs";
import { benchSoak } from "./bench/soak.mjs";
import { benchTasks } from "./bench/tasks.mjs";
import { benchTenancy } from "./bench/tenancy.mjs";
import { benchTextClassification } from "./bench/text-classification.mjs";
import { benchVoice } from "./bench/voice.mjs";
import { bundledManifests, ROOT } from "./lib/bundled-models.mjs";
import { startBareWorker, startWorker } from "./lib/worker-server.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8797);
const log = (line) => console.log(`[bench] ${line}`);
const states = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-maas-bench-"));
  states.push(dir);
  return dir;
};

/** Servers are started on first use and shared by the sections. */
const SERVERS = {
  metered: { port: PORT, start: (self) => startWorker({ port: self.port, persistTo: self.state }) },
  open: {
    port: PORT + 1,
    start: (self) => startWorker({ port: self.port, persistTo: self.state, vars: { TENANCY: "off" } }),
  },
  bare: { port: PORT + 2, start: (self) => startBareWorker({ port: self.port, persistTo: self.state }) },
};
const running = {};

const context = {
  manifests: bundledManifests(),
  log,
  /** The server `name` (metered: TENANCY=required with a bench key; open: TENANCY=off; bare: the floor Worker). */
  async server(name = "metered") {
    const spec = SERVERS[name];
    spec.state ??= stateDir();
    running[name] ??= spec.start(spec);
    return running[name];
  },
  /** Restarts a server on the same state: a fresh isolate, models already stored. */
  async restart(name) {
    if (running[name]) await (await running[name]).stop();
    delete running[name];
    return context.server(name);
  },
  /** A spare port for a section's own server (e.g. `npm run dev` for the dev-proxy figure). */
  port: (offset) => PORT + 10 + offset,
  stateDir,
};

try {
  const benches = {
    inference: benchInference,
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
  /** Sections that run only when named (`npm run bench -- soak` takes ten minutes). */
  const onRequest = new Set(["soak"]);
  const chosen = process.argv.slice(2);
  for (const name of chosen)
    if (!benches[name]) throw new Error(`unknown section '${name}'; sections: ${Object.keys(benches).join(", ")}`);
  const names = chosen.length > 0 ? chosen : Object.keys(benches).filter((name) => !onRequest.has(name));
  const file = join(ROOT, "docs", "BENCHMARKS.md");
  const previous = existsSync(file) ? readSections(readFileSync(file, "utf8")) : {};
  // a full run rewrites every section it runs, and keeps those that run only when named
  const sections =
    chosen.length > 0 ? previous : Object.fromEntries(Object.entries(previous).filter(([name]) => onRequest.has(name)));
  for (const name of names) {
    const text = await benches[name](context);
    if (chosen.length > 0) console.log(text);
    sections[name] = `${text}\n\n_Section \`${name}\` measured on ${new Date().toISOString().slice(0, 10)}._`;
  }
  const header = [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\`: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}.`,
    "The Worker runs bundled as `wrangler deploy` bundles it, on local workerd (Miniflare, the engine under `wrangler dev`),",
    "and is called on its own socket over loopback. Absolute figures depend on the machine; compare the ratios, each",
    "measured within one section's run.",
  ].join("\n");
  const body = Object.keys(benches)
    .filter((name) => sections[name])
    .map((name) => `<!-- section:${name} -->\n${sections[name]}\n<!-- /section:${name} -->`);
  writeFileSync(file, `${header}\n\n${body.join("\n\n")}\n`);
  log(`wrote docs/BENCHMARKS.md (${names.join(", ")})`);
} finally {
  for (const server of Object.values(running)) await (await server).stop().catch(() => undefined);
  for (const dir of states) rmSync(dir, { recursive: true, force: true });
}

/** The sections of an existing docs/BENCHMARKS.md, by name. */
function readSections(markdown) {
  const sections = {};
  for (const match of markdown.matchAll(/<!-- section:([a-z-]+) -->\n([\s\S]*?)\n<!-- \/section:\1 -->/g))
    sections[match[1]] = match[2];
  return sections;
}
