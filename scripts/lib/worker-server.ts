/**
 * Runs the Worker for measurements: bundled exactly as `wrangler deploy` bundles it, on workerd through Miniflare (the
 * engine under `wrangler dev`), with the bindings of wrangler.toml and its own persisted state. The benchmark talks to
 * the Worker's own socket: `wrangler dev` adds a proxy Worker in a second workerd in front of it (≈2 ms per request
 * on loopback), which exists only in local development. Also runs the benchmark's own small Workers (scripts/bench/).
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { type AdminServer, createTenantKey, type Fetch } from "./api-client";
import { bundledManifests, ROOT, readRepoFile } from "./bundled-models";
import { companionOf } from "./companion";
import { fetchAgainIfClosed } from "./fetch-again";
import { seedModels } from "./seed-models";
import { workerdEnv } from "./workerd-v8-flags";
import { offlineEnv } from "./wrangler";

const HOST = "127.0.0.1";
const COMPATIBILITY_DATE = "2026-05-01";
let bundled: string | undefined;

export interface WorkerHandle {
  baseUrl: string;
  adminToken: string;
  /** A key of a tenant whose limits no measurement reaches (absent with `TENANCY=off`). */
  apiKey?: string;
  /** What admin calls to it send with (see `adminCall`). */
  fetch: Fetch;
  stop(): Promise<void>;
}

export interface BenchWorkerHandle {
  baseUrl: string;
  stop(): Promise<void>;
}

/** `wrangler deploy --dry-run` once per process: the same bundle `wrangler deploy` uploads. */
export function bundleWorker(): string {
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

interface WorkerOptions {
  port: number;
  persistTo: string;
  vars?: Record<string, string>;
  /** Upload the bundled models: all (default), or those named. */
  seed?: boolean | string[];
  /**
   * A key made by an earlier start on the same state, used as it is: no key is made, so that nothing reaches the
   * isolate before the caller's first request (with `seed: []`).
   */
  apiKey?: string;
  inspectorPort?: number;
  /** V8 flags for this workerd beyond ours (scripts/lib/workerd-v8-flags.ts): a bench's experiment. */
  extraV8Flags?: readonly string[];
}

/**
 * How long one seeding call may take. Local workerd once stopped answering a seeding upload for good, busy at 100%
 * CPU: a V8 livelock, which the flags of ./workerd-v8-flags.ts remove (docs/testing.md). Should a call hang again,
 * the bench fails after this long instead of waiting forever.
 */
const SEED_CALL_TIMEOUT_MS = 90_000;

export async function startWorker({
  port,
  persistTo,
  vars = {},
  seed = true,
  apiKey: givenKey,
  inspectorPort,
  extraV8Flags = [],
}: WorkerOptions): Promise<WorkerHandle> {
  const outdir = bundleWorker();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
  const { modulesRules: _rules, ...options } = workerOptions;
  const adminToken = randomBytes(24).toString("base64url");
  const modules = [
    { type: "ESModule" as const, path: join(outdir, "index.js") },
    ...readdirSync(outdir)
      .filter((file) => file.endsWith(".wasm"))
      .map((file) => ({ type: "CompiledWasm" as const, path: join(outdir, file) })),
  ];
  Object.assign(process.env, workerdEnv(undefined, extraV8Flags));
  const mf = new Miniflare({
    ...options,
    modulesRoot: outdir,
    modules,
    bindings: { ...options.bindings, ...vars, ADMIN_TOKEN: adminToken },
    ...ownSocket(port, persistTo),
    ...(inspectorPort ? { inspectorPort } : {}),
  } as MiniflareOptions);
  await mf.ready;
  const baseUrl = `http://${HOST}:${port}`;
  const stop = () => mf.dispose();
  try {
    const manifests = bundledManifests().filter((m) => seed === true || (Array.isArray(seed) && seed.includes(m.name)));
    if (manifests.length > 0) {
      await seedModels({
        manifests,
        fetch: (input, init) =>
          fetchAgainIfClosed(input, { ...init, signal: AbortSignal.timeout(SEED_CALL_TIMEOUT_MS) }),
        baseUrl,
        token: adminToken,
        readWeights: readRepoFile,
        optimize: companionOf,
        log: (line) => console.log("[seed]", line),
      });
    }
    const apiKey = vars.TENANCY === "off" ? undefined : (givenKey ?? (await benchKey({ baseUrl, adminToken })));
    // the bench's admin calls (uploads by digest, profile runs, reads) may be sent again when a kept-alive
    // connection was closed as it was reused: the request never reached the Worker
    return { baseUrl, adminToken, apiKey, stop, fetch: fetchAgainIfClosed };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A key of a tenant whose limits no measurement reaches, metered `exact` (default) or `leased`. */
export function benchKey(server: AdminServer, metering: "exact" | "leased" = "exact"): Promise<string> {
  const limits = { requestsPerMinute: 1_000_000, monthlyUnits: 1_000_000_000 };
  return createTenantKey(server, { name: `bench ${metering}`, limits, metering }, "bench");
}

/**
 * One of the benchmark's own Workers (a TypeScript entry under scripts/bench/), bundled by esbuild and run on its
 * own workerd; `.wasm` imports become CompiledWasm modules beside the bundle, as wrangler's module rules make them.
 */
export async function startBenchWorker({
  entry,
  port,
  persistTo,
  kvNamespaces = [],
}: {
  entry: string;
  port: number;
  persistTo?: string;
  kvNamespaces?: string[];
}): Promise<BenchWorkerHandle> {
  const outdir = mkdtempSync(join(tmpdir(), "edge-maas-bench-worker-"));
  await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    format: "esm",
    minify: true,
    conditions: ["workerd", "worker", "browser"],
    plugins: [wasmBesideBundle(outdir)],
    outfile: join(outdir, "worker.js"),
    logLevel: "silent",
  });
  Object.assign(process.env, workerdEnv());
  const mf = new Miniflare({
    modules: true,
    modulesRoot: outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    scriptPath: join(outdir, "worker.js"),
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces,
    ...ownSocket(port, persistTo),
  });
  await mf.ready;
  return {
    baseUrl: `http://${HOST}:${port}`,
    async stop() {
      await mf.dispose();
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}

/** The bare floor Worker (scripts/bench/bare-kv/worker.ts) with a KV namespace. */
export function startBareWorker({ port, persistTo }: { port: number; persistTo: string }) {
  return startBenchWorker({ entry: "scripts/bench/bare-kv/worker.ts", port, persistTo, kvNamespaces: ["KV"] });
}

/** Serves on `port` straight from the Worker's socket (no entry Worker in front) and persists under `persistTo`. */
function ownSocket(port: number, persistTo: string | undefined) {
  return {
    host: HOST,
    port: 0,
    unsafeDirectSockets: [{ host: HOST, port }],
    logRequests: false,
    ...(persistTo ? { defaultPersistRoot: persistTo } : {}),
  };
}

function wasmBesideBundle(outdir: string): Plugin {
  return {
    name: "compiled-wasm",
    setup(builder) {
      builder.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { inner: true },
        });
        const name = basename(resolved.path);
        copyFileSync(resolved.path, join(outdir, name));
        return { path: `./${name}`, external: true };
      });
    },
  };
}
