/** What `npm run bench` (scripts/bench.ts) hands each section: the bundled manifests, servers, ports, a log. */
import type { BundledManifest } from "../lib/bundled-manifest";
import type { BenchWorkerHandle, WorkerHandle } from "../lib/worker-server";

/**
 * The servers sections share, started on first use: `metered` (TENANCY=required, with a bench tenant's key),
 * `open` (TENANCY=off) and `bare` (the floor Worker of scripts/bench/bare-kv/).
 */
export interface BenchServers {
  metered: WorkerHandle;
  open: WorkerHandle;
  bare: BenchWorkerHandle;
}

export interface BenchContext {
  manifests: BundledManifest[];
  log(line: string): void;
  server<N extends keyof BenchServers = "metered">(name?: N): Promise<BenchServers[N]>;
  /** Restarts a server on the same state: a fresh isolate, models already stored. */
  restart<N extends keyof BenchServers>(name: N): Promise<BenchServers[N]>;
  /** A spare port for a section's own server (e.g. `npm run dev` for the dev-proxy figure). */
  port(offset: number): number;
  /** A fresh folder for a server's state, removed when the run ends. */
  stateDir(): string;
}

/** A section of docs/BENCHMARKS.md: runs its measurements and returns its markdown, `## Heading` first. */
export type BenchSection = (context: BenchContext) => Promise<string>;
