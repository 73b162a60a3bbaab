/**
 * Uploads a version's graph optimized ahead of time, the most optimized level the server accepts first. Runtime-neutral
 * (the graph is written elsewhere: ./companion.ts, in Node), so the seeding imports it wherever it runs.
 */
import type { OptimizationLevel } from "../../src/registry/manifest";

/**
 * The levels a producer offers the server, most optimized first. `extended` fuses nodes into the CPU execution
 * provider's kernels (a convolution with its activation, a matrix product with its bias): warm runs of the bundled
 * models took 0.85–1.00× as long in onnxruntime-web (docs/design/cold-start.md). The server loads the graph in the
 * Worker's own onnxruntime-web and compares its answers with the version's before it stores it, so an `extended`
 * graph it refuses is followed by the `basic` one.
 */
export const COMPANION_LEVELS: readonly OptimizationLevel[] = ["extended", "basic"];

/** What a producer uploads beside a version: its optimized graph at a level, or why there is none. */
export type Companion = { graph: Uint8Array; level: OptimizationLevel } | { skipped: string };

/** What became of a version's optimized graph: stored at a level (with what the upload returned), or not, and why. */
export type StoredCompanion<T> = { stored: T; level: OptimizationLevel } | { notStored: string };

/**
 * Stores the most optimized graph the server accepts: `make` writes one at a level, `put` uploads it (and throws
 * when the server refuses it). A graph refused at one level is followed by the next of `COMPANION_LEVELS`.
 *
 * @example
 * await storeCompanion((level) => companionOf(bytes, level), (graph, level) => upload(graph, level));
 */
export async function storeCompanion<T>(
  make: (level: OptimizationLevel) => Promise<Companion>,
  put: (graph: Uint8Array, level: OptimizationLevel) => Promise<T>,
): Promise<StoredCompanion<T>> {
  const refusals: string[] = [];
  for (const level of COMPANION_LEVELS) {
    const companion = await make(level);
    if ("skipped" in companion) return { notStored: companion.skipped };
    try {
      return { stored: await put(companion.graph, level), level };
    } catch (error) {
      refusals.push(`${level}: ${(error as Error).message}`);
    }
  }
  return { notStored: `refused by the server (${refusals.join("; ")})` };
}
