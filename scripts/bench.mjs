#!/usr/bin/env node
// `npm run bench`: runs the Worker (bundled as `wrangler deploy` bundles it) on local workerd with fresh state,
// measures, and writes docs/BENCHMARKS.md. Every figure is read in this one run, and comparisons are ratios against
// a reference measured in the same run. `npm run bench -- <section>` runs one section and prints it instead.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { bundledManifests, ROOT } from "./lib/bundled-models.mjs";
import { startBareWorker, startWorker } from "./lib/worker-server.mjs";
import { benchCache } from "./bench/cache.mjs";
import { benchEmbeddings } from "./bench/embeddings.mjs";
import { benchImages } from "./bench/images.mjs";
import { benchInference } from "./bench/inference.mjs";
import { benchQuantize } from "./bench/quantize.mjs";
import { benchTasks } from "./bench/tasks.mjs";
import { benchTenancy } from "./bench/tenancy.mjs";
import { benchTextClassification } from "./bench/text-classification.mjs";
import { benchVoice } from "./bench/voice.mjs";

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
  open: { port: PORT + 1, start: (self) => startWorker({ port: self.port, persistTo: self.state, vars: { TENANCY: "off" } }) },
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
  const only = process.argv[2];
  const benches = { inference: benchInference, tenancy: benchTenancy, cache: benchCache, tasks: benchTasks, embeddings: benchEmbeddings, images: benchImages, text: benchTextClassification, voice: benchVoice, quantize: benchQuantize };
  if (only && !benches[only]) throw new Error(`unknown section '${only}'; sections: ${Object.keys(benches).join(", ")}`);
  const sections = [];
  for (const [name, bench] of Object.entries(benches)) if (!only || only === name) sections.push(await bench(context));
  const header = [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}.`,
    "The Worker runs bundled as `wrangler deploy` bundles it, on local workerd (Miniflare, the engine under `wrangler dev`),",
    "and is called on its own socket over loopback. Absolute figures depend on the machine; compare the ratios.",
  ].join("\n");
  if (only) console.log(sections.join("\n\n"));
  else {
    writeFileSync(join(ROOT, "docs", "BENCHMARKS.md"), `${header}\n\n${sections.join("\n\n")}\n`);
    log("wrote docs/BENCHMARKS.md");
  }
} finally {
  for (const server of Object.values(running)) await (await server).stop().catch(() => undefined);
  for (const dir of states) rmSync(dir, { recursive: true, force: true });
}
