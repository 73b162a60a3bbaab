/**
 * Test helpers inside workerd: call the Worker, seed bundled models through the admin API, and ask the Node
 * reference (onnxruntime-node) for expected outputs.
 */
/// <reference types="vite/types/importMeta.d.ts" />
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { BundledManifest } from "../../scripts/lib/bundled-manifest";
import { seedModels } from "../../scripts/lib/seed-models";
import type { WireTensor } from "./wire";

export const ADMIN_TOKEN = "test-admin-token";
/** Every bundled manifest (models/*.json), by model name. */
export const BUNDLED: Record<string, BundledManifest> = Object.fromEntries(
  Object.values(import.meta.glob<BundledManifest>("../../models/*.json", { eager: true, import: "default" })).map(
    (manifest) => [manifest.name, manifest],
  ),
);
export type BundledName = string;

export type { BundledManifest };

const binding = (env as unknown as { REFERENCE: Fetcher }).REFERENCE;

/** Closed connections to REFERENCE a call may meet in a row (workerd keeps one per earlier concurrent call). */
const REFERENCE_ATTEMPTS = 8;

/**
 * The REFERENCE binding (Node), asked again when its connection dropped: Node closes a keep-alive connection after 5
 * idle seconds, and a test that spends longer inside the Worker (uploading a large model, reading a page on a loaded
 * machine) can find workerd still holding it, or several of them after concurrent calls; each stale one fails at
 * once. Every REFERENCE call computes from its request alone, so asking again is safe. Bounded: a lasting failure is
 * thrown.
 */
export const reference = {
  async fetch(input: string, init?: RequestInit): Promise<Response> {
    const body = init?.body instanceof ReadableStream ? undefined : init?.body;
    for (let attempt = 1; ; attempt++) {
      try {
        return await binding.fetch(input, attempt === 1 ? init : { ...init, body });
      } catch (error) {
        if (attempt >= REFERENCE_ATTEMPTS || !/Network connection lost/.test(String(error))) throw error;
      }
    }
  },
};

/** Sends a request to the Worker under test (same isolate, real bindings), exactly as given. */
export function anonymous(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://edge-maas.test${path}`, init));
}

/**
 * Like `anonymous`, but tenant routes (`/v1/...`, `/v2/models/...`, `/v2/repository/...`) without an `Authorization` header get the
 * key of a test tenant with limits no test reaches, so tests about inference need not manage tenancy.
 */
export async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("Authorization") && /^\/(v1|v2\/models|v2\/repository)\//.test(path))
    headers.set("Authorization", `Bearer ${await defaultKey()}`);
  return anonymous(path, { ...init, headers });
}

let defaultKeyPromise: Promise<string> | undefined;

function defaultKey(): Promise<string> {
  defaultKeyPromise ??= createTenant({
    name: "test default",
    limits: { requestsPerMinute: 1_000_000, monthlyUnits: 1_000_000_000 },
  }).then((t) => createKey(t.id).then((k) => k.key));
  return defaultKeyPromise;
}

export interface TestTenant {
  id: string;
  name: string;
  limits: { requestsPerMinute: number; monthlyUnits: number };
  metering: "exact" | "leased";
}

export async function createTenant(input: {
  name: string;
  limits: { requestsPerMinute: number; monthlyUnits: number };
  metering?: "exact" | "leased";
}): Promise<TestTenant> {
  const response = await admin("/admin/tenants", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(input),
  });
  if (response.status !== 201) throw new Error(`creating a tenant: ${response.status} ${await response.text()}`);
  return json<TestTenant>(response);
}

export async function createKey(
  tenantId: string,
  input: { name?: string; scopes?: string[]; expiresAt?: string; allowedOrigins?: string[] } = {},
): Promise<{ id: string; key: string; prefix: string }> {
  const response = await admin(`/admin/tenants/${tenantId}/keys`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "test key", ...input }),
  });
  if (response.status !== 201) throw new Error(`creating a key: ${response.status} ${await response.text()}`);
  return json(response);
}

/** Calls the Worker with `key` as the bearer token. */
export function withKey(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${key}`);
  return anonymous(path, { ...init, headers });
}

/** Like `call`, with the admin token. */
export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return withKey(ADMIN_TOKEN, path, init);
}

export async function json<T = any>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

/**
 * Uploads bundled models through the admin API (skips ones already stored): every version of `name`, or only the
 * versions named as `name@version` (and the aliases that point at them), which spares uploading weights a test
 * never runs.
 * @example seedBundled("ppocr-cls@int8", "ppocr-rec@int8", "ppocr@int8-stages")
 */
export async function seedBundled(...references: BundledName[]): Promise<void> {
  const wanted = new Map<string, Set<string> | undefined>();
  for (const reference of references) {
    const [name, version] = reference.split("@") as [string, string | undefined];
    if (!BUNDLED[name]) throw new Error(`no bundled model '${name}' in models/`);
    const versions = wanted.get(name);
    if (version === undefined) wanted.set(name, undefined);
    else if (!wanted.has(name) || versions) wanted.set(name, new Set([...(versions ?? []), version]));
  }
  await seedModels({
    manifests: [...wanted].map(([name, versions]) => {
      const manifest = BUNDLED[name]!;
      if (!versions) return manifest;
      const keep = <T>(entries: Record<string, T>, test: (key: string, value: T) => boolean) =>
        Object.fromEntries(Object.entries(entries).filter(([key, value]) => test(key, value)));
      return {
        ...manifest,
        versions: keep(manifest.versions, (version) => versions.has(version)),
        aliases: keep(manifest.aliases, (_, version) => versions.has(version)),
      };
    }),
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    baseUrl: "http://edge-maas.test",
    token: ADMIN_TOKEN,
    readWeights: (file) => repoFile(file),
  });
}

/** A file of this checkout, read by the Node side. */
export async function repoFile(path: string): Promise<Uint8Array> {
  const response = await reference.fetch(`http://reference/file?path=${encodeURIComponent(path)}`);
  if (!response.ok) throw new Error(`reading ${path}: ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function repoText(path: string): Promise<string> {
  return new TextDecoder().decode(await repoFile(path));
}

/** A bundled model's file (its default version's, the one `/v2/models/{model}` serves, unless `version` says) or bytes. */
export type ReferenceModel = { bundled: BundledName; version?: string } | { bytes: Uint8Array };

export function bundledFile(name: BundledName, version?: string): string {
  const manifest = BUNDLED[name]!;
  return manifest.versions[version ?? manifest.aliases.default!]!.file;
}

/** Runs the model with onnxruntime-node (native) in Node: the independent reference. */
export async function referenceRun(
  model: ReferenceModel,
  inputs: Record<string, WireTensor>,
  outputs?: string[],
): Promise<Record<string, WireTensor>> {
  const spec =
    "bundled" in model ? { file: bundledFile(model.bundled, model.version) } : { base64: toBase64(model.bytes) };
  const response = await reference.fetch("http://reference/run", {
    method: "POST",
    body: JSON.stringify({ model: spec, inputs, outputs }),
  });
  if (!response.ok) throw new Error(`reference run failed: ${await response.text()}`);
  return ((await response.json()) as { outputs: Record<string, WireTensor> }).outputs;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Deterministic pseudo-random floats in [lo, hi) (mulberry32). */
export function randomFloats(seed: number, count: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** Asserts every element is within `tolerance` of the reference and reports the worst one. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= worst)) {
      worst = diff;
      at = i;
    }
  }
  expect(worst, `largest difference ${worst} at element ${at}`).toBeLessThanOrEqual(tolerance);
}

/** `PUT /admin/models/{name}` with `manifest`: creates or updates the manifest; returns the response. */
export function putManifest(name: string, manifest: unknown): Promise<Response> {
  return admin(`/admin/models/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(manifest),
  });
}

/** Creates (or updates) a model's manifest and uploads `bytes` as `version`; returns the upload response. */
export async function uploadModel(
  name: string,
  bytes: Uint8Array,
  options: { version?: string; manifest?: Record<string, unknown>; makeDefault?: boolean } = {},
): Promise<Response> {
  const manifest = await admin(`/admin/models/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(options.manifest ?? { task: "tensor" }),
  });
  if (!manifest.ok) throw new Error(`manifest of ${name}: ${manifest.status} ${await manifest.text()}`);
  const query = options.makeDefault === false ? "?default=false" : "";
  return admin(`/admin/models/${name}/versions/${options.version ?? "1"}${query}`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: bytes,
  });
}
