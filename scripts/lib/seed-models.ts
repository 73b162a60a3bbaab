/**
 * Uploads bundled models through the admin API, the same path an operator uses. Runtime-neutral (plain fetch), so
 * `npm run dev` (Node) and the tests (workerd) seed the same way. Skips versions already stored with the same digest,
 * so it is cheap to run on every start.
 */

import type { OptimizationLevel } from "../../src/registry/manifest";
import { type AdminServer, adminCall, type Fetch } from "./api-client";
import type { BundledFile, BundledManifest, BundledVersion } from "./bundled-manifest";
import { type Companion, storeCompanion } from "./store-companion";

/** Manifest fields an operator may set (ManifestInputSchema in src/registry/manifest.ts). */
export const INPUT_FIELDS = [
  "task",
  "description",
  "visibility",
  "owner",
  "labels",
  "preprocess",
  "postprocess",
  "cache",
  "limits",
  "batchAxes",
  "sampleInputs",
  "source",
] as const;

export interface SeedOptions {
  manifests: BundledManifest[];
  fetch: Fetch;
  baseUrl: string;
  /** The admin token. */
  token: string;
  /** Reads a version's or an asset's `file` (a path in the checkout). */
  readWeights: (file: string) => Promise<Uint8Array>;
  /**
   * Writes a version's graph optimized ahead of time (Node: ./companion.ts), uploaded beside versions that have
   * none yet; without it (inside workerd) versions are served from the uploaded graph.
   */
  optimize?: (model: Uint8Array, level: OptimizationLevel) => Promise<Companion>;
  log?: (line: string) => void;
}

interface Stored {
  sha256: string;
  optimized?: { sha256: string };
  /** The file a version was uploaded from, when the server serves a rewritten graph (e.g. without ZipMap). */
  original?: { sha256: string };
  assets?: Record<string, { sha256: string }>;
}

export async function seedModels({
  manifests,
  fetch,
  baseUrl,
  token,
  readWeights,
  optimize,
  log = () => {},
}: SeedOptions): Promise<{ model: string; version: string; uploaded: boolean }[]> {
  const server: AdminServer = { baseUrl, adminToken: token, fetch };
  const results = [];
  for (const bundled of largestFirst(manifests)) {
    const name = bundled.name;
    const input: Record<string, unknown> = Object.fromEntries(
      INPUT_FIELDS.filter((k) => bundled[k] !== undefined).map((k) => [k, bundled[k]]),
    );
    // each version's measured quantization, kept in the manifest for operators (the console shows the deltas)
    const quantization = Object.entries(bundled.versions).filter(([, entry]) => entry.quantization);
    if (quantization.length > 0)
      input.quantization = Object.fromEntries(quantization.map(([version, entry]) => [version, entry.quantization]));
    await adminCall(server, "PUT", `/admin/models/${name}`, input, `seeding the manifest of ${name}`);
    const stored = await adminCall<{ versions: Record<string, Stored> }>(server, "GET", `/admin/models/${name}`);
    for (const [version, entry] of Object.entries(bundled.versions)) {
      const existing = stored.versions[version];
      if (existing && uploadedDigest(existing) === entry.sha256) {
        ensureSameAssets(name, version, existing, entry);
        if (optimize && !existing.optimized)
          await addOptimized(server, name, version, entry, readWeights, optimize, log);
        results.push({ model: name, version, uploaded: false });
        continue;
      }
      // assets first: a version pins the model's assets present when it is uploaded
      for (const [assetName, asset] of Object.entries(entry.assets ?? {})) {
        const path = `/admin/models/${name}/assets/${encodeURIComponent(assetName)}`;
        await upload(server, path, asset, readWeights, `${name} asset ${assetName}`);
      }
      const isDefault = bundled.aliases.default === version;
      const path = `/admin/models/${name}/versions/${version}?default=${isDefault}`;
      const result = await upload(server, path, entry, readWeights, `${name} version ${version}`);
      ensureSameAssets(name, version, result, entry);
      log(`uploaded ${name}:${version} (${(entry.bytes / 1e6).toFixed(1)} MB)`);
      if (optimize) await addOptimized(server, name, version, entry, readWeights, optimize, log);
      results.push({ model: name, version, uploaded: true });
    }
    for (const [alias, version] of Object.entries(bundled.aliases)) {
      await adminCall(server, "PUT", `/admin/models/${name}/aliases/${alias}`, { version }, `alias ${name}@${alias}`);
    }
  }
  return results;
}

/** Uploads a bundled file's bytes and checks that the server stored the digest its manifest names. */
async function upload(
  server: AdminServer,
  path: string,
  bundled: BundledFile,
  readWeights: SeedOptions["readWeights"],
  what: string,
): Promise<Stored> {
  const result = await adminCall<Stored>(server, "PUT", path, await readWeights(bundled.file), `seeding ${what}`);
  if (uploadedDigest(result) !== bundled.sha256)
    throw new Error(`${what}: stored digest ${uploadedDigest(result)} differs from its manifest's (${bundled.sha256})`);
  return result;
}

/**
 * Uploads a version's optimized graph. One the server refuses is reported and left out: the version is then served
 * from its uploaded graph, as it was before.
 */
async function addOptimized(
  server: AdminServer,
  name: string,
  version: string,
  bundled: BundledVersion,
  readWeights: SeedOptions["readWeights"],
  optimize: NonNullable<SeedOptions["optimize"]>,
  log: (line: string) => void,
): Promise<void> {
  if (bundled.optimize === false) return;
  const started = performance.now();
  const weights = await readWeights(bundled.file);
  const path = `/admin/models/${name}/versions/${version}/optimized`;
  const result = await storeCompanion(
    (level) => optimize(weights, level),
    (graph, level) =>
      adminCall(server, "PUT", `${path}?level=${level}`, graph, `the optimized graph of ${name}:${version}`),
  );
  if ("notStored" in result) return log(`${name}:${version} served as uploaded: ${result.notStored}`);
  const ms = Math.round(performance.now() - started);
  log(`optimized ${name}:${version} at the ${result.level} level (${ms} ms, checked by the server)`);
}

/**
 * Models with the largest weights first: their sessions (kept warm after an upload) are created while the WASM heap
 * is fresh. In `wrangler dev`, creating ppocr-rec's session after a small tree-ensemble session (iris-forest) and a
 * few others hung the isolate; in this order it never has (docs/design/tabular.md, "Known issue").
 */
function largestFirst(manifests: BundledManifest[]): BundledManifest[] {
  const size = (m: BundledManifest) => Math.max(0, ...Object.values(m.versions).map((v) => v.bytes));
  return [...manifests].sort((a, b) => size(b) - size(a));
}

/** The digest of the file a stored version was uploaded from. */
function uploadedDigest(stored: Stored): string {
  return stored.original?.sha256 ?? stored.sha256;
}

/** Versions are immutable, assets included: a stored version with other assets needs a new version name. */
function ensureSameAssets(name: string, version: string, stored: Stored, bundled: BundledVersion): void {
  const digests = (assets: Record<string, { sha256: string }> | undefined) =>
    JSON.stringify(
      Object.entries(assets ?? {})
        .map(([n, a]) => [n, a.sha256])
        .sort(),
    );
  if (digests(stored.assets) !== digests(bundled.assets)) {
    throw new Error(
      `${name} version ${version} is stored with other assets than models/${name}.json names; versions are immutable: give the bundled version a new name, or start from empty local state`,
    );
  }
}
