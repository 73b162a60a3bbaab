/**
 * The shape of a bundled manifest (models/*.json): what an operator uploads, plus each version's weights and assets
 * as files of this checkout with their digests. Types only, shared by the Node scripts and the Worker-side tests.
 */
import type { z } from "zod";
import type { ManifestInputSchema, VersionEntry } from "../../src/registry/manifest";

/** A file of this checkout (weights or an asset) and what the server must store for it. */
export interface BundledFile {
  /** `node_modules/...`, `models/weights/...` or `.generated/<builder>/...` (see ./bundled-models.ts). */
  file: string;
  sha256: string;
  bytes: number;
}

export interface BundledVersion extends BundledFile, Pick<VersionEntry, "inputs" | "outputs"> {
  assets?: Record<string, BundledFile>;
  /**
   * `false`: the seeding does not write this version's graph optimized ahead of time (the server cannot compare it
   * with the version, e.g. a graph that checks a sample rate; trying again on every start would only cost time).
   */
  optimize?: false;
  /** How a quantized version was made from version `from`, and what it scored. */
  quantization?: { from: string; mode: string } & Record<string, unknown>;
}

export type BundledManifest = z.input<typeof ManifestInputSchema> & {
  name: string;
  versions: Record<string, BundledVersion>;
  aliases: Record<string, string>;
};
