#!/usr/bin/env node
// Smoke test of the quick start: runs `npm run dev` on a spare port with fresh state, waits until it has seeded
// the bundled models, checks that each answers OIP metadata and one inference, then stops it with SIGINT.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundledManifests, ROOT } from "./lib/bundled-models.mjs";

const PORT = 8799;
const BASE = `http://127.0.0.1:${PORT}`;
const state = mkdtempSync(join(tmpdir(), "edge-maas-smoke-"));
const dev = spawn("npm", ["run", "dev", "--", "--persist-to", state], { cwd: ROOT, env: { ...process.env, PORT: String(PORT) }, stdio: ["ignore", "pipe", "inherit"], detached: true });

let output = "";
const seeded = new Promise((resolve, reject) => {
  dev.stdout.on("data", (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
    if (output.includes("[edge-maas] serving")) resolve();
  });
  dev.on("exit", (code) => reject(new Error(`npm run dev exited (${code}) before serving`)));
  setTimeout(() => reject(new Error("npm run dev did not serve within 180 s")), 180_000).unref();
});

try {
  await seeded;
  for (const manifest of bundledManifests()) {
    const metadata = await (await fetch(`${BASE}/v2/models/${manifest.name}`)).json();
    if (metadata.name !== manifest.name) throw new Error(`metadata of ${manifest.name}: ${JSON.stringify(metadata)}`);
    const inputs = metadata.inputs.map((input) => {
      const shape = input.shape.map((d, axis) => (d >= 0 ? d : axis === 0 ? 1 : input.name === "x" ? 48 : 512));
      if (manifest.name === "silero-vad" && input.name === "state") shape[1] = 1;
      const count = shape.reduce((a, b) => a * b, 1);
      return { name: input.name, datatype: input.datatype, shape, data: Array(count).fill(input.datatype === "INT64" ? 16000 : 0) };
    });
    const response = await fetch(`${BASE}/v2/models/${manifest.name}/infer`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ inputs }) });
    if (response.status !== 200) throw new Error(`infer ${manifest.name}: ${response.status} ${await response.text()}`);
    console.log(`[smoke] ${manifest.name}: metadata and inference OK`);
  }
  console.log("[smoke] npm run dev serves every bundled model");
} finally {
  // Ctrl-C in a terminal signals the whole process group (npm, scripts/dev.mjs, wrangler, workerd); so do we.
  const exited = new Promise((resolve) => dev.once("exit", resolve));
  process.kill(-dev.pid, "SIGINT");
  await exited;
  rmSync(state, { recursive: true, force: true });
}
