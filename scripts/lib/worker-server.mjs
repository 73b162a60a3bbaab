// Runs the Worker for measurements: bundled exactly as `wrangler deploy` bundles it, on workerd through Miniflare
// (the engine under `wrangler dev`), with the bindings of wrangler.toml and its own persisted state. The benchmark
// talks to the Worker's own socket: `wrangler dev` adds a proxy Worker in a second workerd in front of it (≈2 ms
// per request on loopback), which exists only in local development.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { bundledManifests, ROOT, readWeights } from "./bundled-models.mjs";
import { seedModels } from "./seed-models.mjs";
import { offlineEnv } from "./wrangler.mjs";

const HOST = "127.0.0.1";
let bundled;

/** `wrangler deploy --dry-run` once per process: the same bundle `wrangler deploy` uploads. */
export function bundleWorker() {
  if (bundled) return bundled;
  const outdir = mkdtempSync(join(tmpdir(), "edge-maas-bundle-"));
  const result = spawnSync(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir],
    { cwd: ROOT, env: offlineEnv(), encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  bundled = outdir;
  return outdir;
}

/**
 * @param {{port: number, persistTo: string, vars?: Record<string, string>, seed?: boolean | string[]}} options
 *   `seed`: upload the bundled models (all, or those named)
 * @returns {Promise<{baseUrl: string, adminToken: string, apiKey?: string, stop: () => Promise<void>}>}
 */
export async function startWorker({ port, persistTo, vars = {}, seed = true, inspectorPort }) {
  const outdir = bundleWorker();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const { modulesRules: _rules, ...options } = workerOptions;
  const adminToken = randomBytes(24).toString("base64url");
  const modules = [
    { type: "ESModule", path: join(outdir, "index.js") },
    ...readdirSync(outdir)
      .filter((file) => file.endsWith(".wasm"))
      .map((file) => ({ type: "CompiledWasm", path: join(outdir, file) })),
  ];
  const mf = new Miniflare({
    ...options,
    modulesRoot: outdir,
    modules,
    bindings: { ...options.bindings, ...vars, ADMIN_TOKEN: adminToken },
    host: HOST,
    port: 0,
    unsafeDirectSockets: [{ host: HOST, port }],
    logRequests: false,
    defaultPersistRoot: persistTo,
    ...(inspectorPort ? { inspectorPort } : {}),
  });
  await mf.ready;
  const baseUrl = `http://${HOST}:${port}`;
  const stop = () => mf.dispose();
  try {
    let apiKey;
    const manifests = bundledManifests().filter((m) => seed === true || (Array.isArray(seed) && seed.includes(m.name)));
    if (manifests.length > 0) await seedModels({ manifests, fetch, baseUrl, token: adminToken, readWeights });
    if (vars.TENANCY !== "off") apiKey = await benchKey(baseUrl, adminToken);
    return { baseUrl, adminToken, apiKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A tenant whose limits no measurement reaches (metered `exact` or `leased`), and a key for it. */
export async function benchKey(baseUrl, adminToken, metering = "exact") {
  const headers = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
  const post = async (path, body) => {
    const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  const tenant = await post("/admin/tenants", {
    name: `bench ${metering}`,
    limits: { requestsPerMinute: 1_000_000, monthlyUnits: 1_000_000_000 },
    metering,
  });
  return (await post(`/admin/tenants/${tenant.id}/keys`, { name: "bench" })).key;
}

/** The bare floor Worker (scripts/bench/bare-kv/worker.js) on its own workerd, with a KV namespace. */
export async function startBareWorker({ port, persistTo }) {
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, "scripts", "bench", "bare-kv", "worker.js"),
    compatibilityDate: "2026-05-01",
    kvNamespaces: ["KV"],
    host: HOST,
    port: 0,
    unsafeDirectSockets: [{ host: HOST, port }],
    logRequests: false,
    defaultPersistRoot: persistTo,
  });
  await mf.ready;
  return { baseUrl: `http://${HOST}:${port}`, stop: () => mf.dispose() };
}
