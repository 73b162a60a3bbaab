#!/usr/bin/env node
// `npm run bench`: starts `npm run dev` on a spare port with fresh state, measures, and writes docs/BENCHMARKS.md.
// Every figure is read in this one run, and comparisons are ratios against a reference measured in the same run.
// `npm run bench -- <section>` runs one section (inference, tenancy, ...) and prints it instead.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { bundledManifests, ROOT } from "./lib/bundled-models.mjs";
import { startDevServer } from "./lib/dev-server.mjs";
import { benchCache } from "./bench/cache.mjs";
import { benchInference } from "./bench/inference.mjs";
import { benchTenancy } from "./bench/tenancy.mjs";

const PORT = Number(process.env.BENCH_PORT ?? 8797);
const log = (line) => console.log(`[bench] ${line}`);
const state = mkdtempSync(join(tmpdir(), "edge-maas-bench-"));
let server = await startDevServer({ port: PORT, persistTo: state });
const context = {
  server: () => server,
  async restart() {
    await server.stop();
    server = await startDevServer({ port: PORT, persistTo: state });
  },
  manifests: bundledManifests(),
  log,
  port: PORT,
};

try {
  const only = process.argv[2];
  const benches = { inference: benchInference, tenancy: benchTenancy, cache: benchCache };
  const sections = [];
  for (const [name, bench] of Object.entries(benches)) if (!only || only === name) sections.push(await bench(context));
  const header = [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version},`,
    "`wrangler dev` (local workerd) on loopback. Absolute figures depend on the machine; compare the ratios.",
  ].join("\n");
  if (only) {
    console.log(sections.join("\n\n"));
  } else {
    writeFileSync(join(ROOT, "docs", "BENCHMARKS.md"), `${header}\n\n${sections.join("\n\n")}\n`);
    log("wrote docs/BENCHMARKS.md");
  }
} finally {
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
