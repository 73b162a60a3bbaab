/**
 * Models in R2 (docs/architecture.md, "Models in R2"): `models/{model}/manifest.json` plus immutable, content-addressed weights
 * at `models/{model}/{sha256}.onnx`. Manifest updates are compare-and-swap on the R2 etag, so concurrent admin
 * calls never lose a version. Manifests are cached per isolate for `cacheMillis`; an unknown version or alias
 * always re-reads R2, and writes made through this isolate invalidate its cache at once.
 */
import { AppError } from "../errors";
import { own } from "../lookup";
import { servableClassifier } from "../onnx/classifier-outputs";
import { capLoopTripCounts } from "../onnx/loop-cap";
import { OnnxFormatError, type OnnxModelInfo, type OnnxValueInfo } from "../onnx/reader";
import { checkDeclaredBatchAxes, graphInputShapes, inferBatchAxes } from "../runtime/batch-axes";
import type { MemoryProfile, RunLimits } from "../runtime/budget";
import { ortText } from "../runtime/ort-errors";
import type { Inspection, InspectOptions, ModelSource, RunResult } from "../runtime/session-pool";
import type { NamedTensors } from "../runtime/tensor";
import {
  type AssetEntry,
  type Manifest,
  type ManifestInput,
  ManifestSchema,
  MODEL_NAME,
  type OptimizationLevel,
  type OptimizedGraph,
  type RuntimeFacts,
  type VersionEntry,
} from "./manifest";
import { checkOptimizedGraph } from "./optimized-graph";
import { drawVersion, primaryVersion, type TrafficWeights } from "./traffic";
import { describeUnsupported, unsupportedOperator } from "./unsupported-operator";
import { checkGraph, readUpload, type UploadLimits } from "./upload-checks";

export interface ResolvedModel {
  manifest: Manifest;
  version: string;
  entry: VersionEntry;
  source: ModelSource;
}

/** The part of the isolate's session pool the registry needs: validate an upload, release what is unloaded. */
export interface ModelRuntime {
  /** Creates a session from uploaded bytes: the model's own signature and measured memory. */
  inspect(source: ModelSource, declared: Map<string, OnnxValueInfo>, options: InspectOptions): Promise<Inspection>;
  /** Runs a model (an optimized graph's check compares two runs). */
  run(source: ModelSource, inputs: NamedTensors): Promise<RunResult>;
  has(digest: string): boolean;
  release(digest: string): Promise<void>;
}

export interface RegistryOptions {
  runtime?: ModelRuntime;
  /** Checks an upload passes before onnxruntime sees it. */
  uploads?: UploadLimits;
  /** Default largest element count of one input (a manifest's `limits.maxElements` overrides it). */
  maxElements?: number;
}

interface CachedManifest {
  manifest: Manifest;
  fetchedAt: number;
}

const DEFAULT_ALIAS = "default";
const CAS_ATTEMPTS = 20;
const cache = new Map<string, CachedManifest>();
/** Without a configuration (tools, tests): the defaults of src/config.ts. */
const DEFAULT_UPLOADS: UploadLimits = {
  maxNodes: 20_000,
  budgetBytes: 80 * 1024 * 1024,
  defaultLoopIterations: 10_000,
};

export const manifestKey = (model: string) => `models/${model}/manifest.json`;
export const weightsKey = (model: string, sha256: string) => `models/${model}/${sha256}.onnx`;
export const assetKey = (model: string, sha256: string) => `models/${model}/assets/${sha256}`;

export class ModelRegistry {
  constructor(
    private readonly bucket: R2Bucket,
    private readonly cacheMillis: number,
    private readonly options: RegistryOptions = {},
  ) {}

  async list(): Promise<Manifest[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: "models/", delimiter: "/", cursor });
      for (const prefix of page.delimitedPrefixes) names.push(prefix.slice("models/".length, -1));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    const manifests = await Promise.all(names.map((name) => this.read(name)));
    return manifests.flatMap((found) => (found ? [found.manifest] : []));
  }

  async get(model: string): Promise<Manifest> {
    return (await this.cached(model, true)).manifest;
  }

  /**
   * The version a reference (version name or alias, `default` when absent) points at. An alias that splits traffic
   * draws one of its versions (see traffic.ts): by `sticky` when given, else at random.
   */
  async resolve(model: string, reference = DEFAULT_ALIAS, sticky?: string): Promise<ResolvedModel> {
    let { manifest, fresh } = await this.cached(model, false);
    let version = pickVersion(manifest, reference, sticky);
    if (!version && !fresh) {
      manifest = (await this.cached(model, true)).manifest;
      version = pickVersion(manifest, reference, sticky);
    }
    if (!version) {
      const what =
        Object.keys(manifest.versions).length === 0 ? "has no versions yet" : `has no version or alias '${reference}'`;
      throw new AppError("version_not_found", `model '${model}' ${what}`);
    }
    const entry = own(manifest.versions, version)!;
    return { manifest, version, entry, source: this.source(manifest, version, entry) };
  }

  /** Creates or updates a manifest's descriptive fields; versions and aliases are kept. */
  async upsertManifest(model: string, input: ManifestInput): Promise<{ manifest: Manifest; created: boolean }> {
    if (input.name !== undefined && input.name !== model) {
      throw new AppError("invalid_manifest", `manifest name '${input.name}' does not match the path's '${model}'`);
    }
    let created = false;
    const manifest = await this.update(model, true, (current) => {
      created = current === undefined;
      for (const [version, entry] of Object.entries(current?.versions ?? {}))
        checkDeclaredBatchAxes(input.batchAxes, entry.inputs, version);
      const kept = {
        versions: current?.versions ?? {},
        aliases: current?.aliases ?? {},
        ...(current?.assets ? { assets: current.assets } : {}),
      };
      return { ...input, name: model, ...kept, updatedAt: now() };
    });
    return { manifest, created };
  }

  /**
   * Validates uploaded weights and records the version. The graph is checked before anything is allocated for it
   * (./upload-checks.ts); only then does onnxruntime-web load it, read its signature and measure its memory. The
   * weights are stored under their digest. Re-uploading identical bytes to the same version is a no-op; different
   * bytes are 409. A refused upload leaves storage and the session pool as they were. A classifier exported with
   * ZipMap (skl2onnx's default) is stored with its probability tensor as the output (src/onnx/classifier-outputs.ts);
   * the version keeps the uploaded file's digest as `original`.
   */
  async addVersion(
    model: string,
    version: string,
    upload: Uint8Array,
    options: { makeDefault: boolean },
  ): Promise<{ manifest: Manifest; entry: VersionEntry; created: boolean }> {
    const runtime = this.options.runtime;
    if (!runtime) throw new AppError("internal_error", "this registry cannot validate uploads (no runtime)");
    const existing = await this.get(model);
    const sha256 = await digestHex(upload);
    const previous = own(existing.versions, version);
    if (previous)
      return { manifest: existing, entry: previous, created: ensureSameWeights(model, version, previous, sha256) };

    const limits = this.options.uploads ?? DEFAULT_UPLOADS;
    const { info, served: bytes, original, classLabels } = prepareUpload(upload, limits);
    const checks = checkGraph(info, limits, existing.limits?.maxLoopIterations);
    const servedSha256 = original ? await digestHex(bytes) : sha256;
    checkDeclaredBatchAxes(existing.batchAxes, graphInputShapes(info.inputs, info.initializers), version);
    const declared = new Map([...info.inputs, ...info.outputs].map((value) => [value.name, value]));
    const source: ModelSource = {
      digest: servedSha256,
      label: `${model}:${version}`,
      bytes: bytes.byteLength,
      load: async () => (checks.loopCap ? capLoopTripCounts(bytes, checks.loopCap) : bytes),
    };
    const { signature, memory } = await runtime
      .inspect(source, declared, this.inspectOptions(existing))
      .catch((error: unknown) => {
        if (!(error instanceof AppError) || error.code !== "invalid_model" || error.cause === undefined) throw error;
        const unsupported = unsupportedOperator(ortText(error.cause), info);
        throw unsupported
          ? new AppError("invalid_model", describeUnsupported(unsupported), { cause: error.cause })
          : error;
      });

    try {
      const key = weightsKey(model, servedSha256);
      if (!(await this.bucket.head(key))) await this.bucket.put(key, bytes, stored(servedSha256));
      const runtimeFacts: RuntimeFacts = { memory, ...checks };
      const entry: VersionEntry = {
        sha256: servedSha256,
        bytes: bytes.byteLength,
        inputs: signature.inputs,
        outputs: signature.outputs,
        batchAxes: inferBatchAxes(
          info.inputs,
          signature.inputs.map((input) => input.name),
        ),
        opsets: Object.fromEntries(info.opsets.map((o) => [o.domain || "ai.onnx", o.version])),
        ...(original ? { original: { sha256, bytes: upload.byteLength, changes: original } } : {}),
        ...(Object.keys(classLabels).length > 0 ? { classLabels } : {}),
        runtime: runtimeFacts,
        createdAt: now(),
      };
      let created = true;
      const manifest = await this.update(model, false, (current) => {
        const raced = own(current!.versions, version);
        if (raced) {
          created = ensureSameWeights(model, version, raced, sha256);
          return current!;
        }
        const aliases = { ...current!.aliases };
        if (options.makeDefault || !own(aliases, DEFAULT_ALIAS)) aliases[DEFAULT_ALIAS] = version;
        const pinned =
          current!.assets && Object.keys(current!.assets).length > 0
            ? { ...entry, assets: { ...current!.assets } }
            : entry;
        return { ...current!, versions: { ...current!.versions, [version]: pinned }, aliases, updatedAt: now() };
      });
      return { manifest, entry: own(manifest.versions, version)!, created };
    } catch (error) {
      // nothing of a refused upload stays: its session, and its weights unless a version already used them
      const stored = Object.values((await this.read(model))?.manifest.versions ?? {});
      if (!stored.some((e) => e.sha256 === servedSha256)) {
        await runtime.release(servedSha256);
        await this.bucket.delete(weightsKey(model, servedSha256));
      }
      throw error;
    }
  }

  /**
   * Stores a version's graph optimized ahead of time (its companion, written by onnxruntime-node at the `basic` or
   * `extended` level, which the caller states and is recorded) beside the uploaded one, which stays stored. It passes every check an upload does, then those of
   * ./optimized-graph.ts (same inputs and outputs, same answers as the served graph). From then on the version's
   * sessions are created from it with optimizations off. The same graph again is a no-op; another one replaces it.
   * A refused graph leaves storage and the session pool as they were.
   */
  async addOptimized(
    model: string,
    version: string,
    upload: Uint8Array,
    level: OptimizationLevel = "basic",
  ): Promise<{ optimized: OptimizedGraph; created: boolean }> {
    const runtime = this.options.runtime;
    if (!runtime) throw new AppError("internal_error", "this registry cannot validate uploads (no runtime)");
    const manifest = await this.get(model);
    const entry = own(manifest.versions, version);
    if (!entry) throw new AppError("version_not_found", `model '${model}' has no version '${version}'`);
    const limits = this.options.uploads ?? DEFAULT_UPLOADS;
    const { info, served: bytes } = prepareUpload(upload, limits);
    const checks = checkGraph(info, limits, manifest.limits?.maxLoopIterations);
    const sha256 = await digestHex(bytes);
    if (entry.optimized?.sha256 === sha256) return { optimized: entry.optimized, created: false };
    if (sha256 === entry.sha256)
      throw new AppError(
        "invalid_model",
        "this is the version's own graph, not one optimized ahead of time (write it with onnxruntime-node at the basic or extended level)",
      );
    const original = this.source(manifest, version, { ...entry, optimized: undefined });
    const companion: ModelSource = {
      digest: sha256,
      label: original.label,
      bytes: bytes.byteLength,
      graph: "optimized",
      load: async () => (checks.loopCap ? capLoopTripCounts(bytes, checks.loopCap) : bytes),
    };
    const loaded = { original: runtime.has(original.digest), companion: runtime.has(sha256) };
    let replaced: OptimizedGraph | undefined;
    try {
      const memory = await checkOptimizedGraph({
        runtime,
        original,
        companion,
        info,
        entry,
        inspectOptions: this.inspectOptions(manifest),
        samples: manifest.sampleInputs,
      });
      const key = weightsKey(model, sha256);
      if (!(await this.bucket.head(key))) await this.bucket.put(key, bytes, stored(sha256));
      const optimized: OptimizedGraph = {
        sha256,
        bytes: bytes.byteLength,
        level,
        runtime: { memory, ...checks },
        createdAt: now(),
      };
      const updated = await this.update(model, false, (current) => {
        const stored = own(current!.versions, version);
        if (stored?.sha256 !== entry.sha256)
          throw new AppError("version_not_found", `version '${version}' of '${model}' was deleted meanwhile`);
        replaced = stored.optimized;
        const versions = { ...current!.versions, [version]: { ...stored, optimized } };
        return { ...current!, versions, updatedAt: now() };
      });
      await this.dropUnused(model, updated, [entry.sha256, replaced?.sha256]);
      return { optimized, created: true };
    } catch (error) {
      // nothing of a refused graph stays: its blob and session, and the original's session if it was not loaded
      const current = (await this.read(model))?.manifest;
      if (!current || !storedDigests(current).has(sha256)) await this.bucket.delete(weightsKey(model, sha256));
      const served = current ? servedDigests(current) : new Set<string>();
      if (!loaded.companion && !served.has(sha256)) await runtime.release(sha256);
      if (!loaded.original) await runtime.release(original.digest);
      throw error;
    }
  }

  /** Drops a version's optimized graph: its sessions are created from the uploaded graph again. */
  async deleteOptimized(model: string, version: string): Promise<Manifest> {
    let removed: OptimizedGraph | undefined;
    const manifest = await this.update(model, false, (current) => {
      const entry = own(current!.versions, version);
      if (!entry) throw new AppError("version_not_found", `model '${model}' has no version '${version}'`);
      if (!entry.optimized)
        throw new AppError("optimized_graph_not_found", `version '${version}' of '${model}' has no optimized graph`);
      removed = entry.optimized;
      const { optimized: _, ...kept } = entry;
      return { ...current!, versions: { ...current!.versions, [version]: kept }, updatedAt: now() };
    });
    await this.dropUnused(model, manifest, [removed!.sha256]);
    return manifest;
  }

  /**
   * Stores a file versions of this model need beside their weights (a tokenizer, a vocabulary) under its digest.
   * Versions uploaded from now on pin it; versions already stored keep the assets they were uploaded with.
   */
  async putAsset(model: string, name: string, bytes: Uint8Array): Promise<{ manifest: Manifest; entry: AssetEntry }> {
    await this.get(model);
    const sha256 = await digestHex(bytes);
    const key = assetKey(model, sha256);
    if (!(await this.bucket.head(key))) await this.bucket.put(key, bytes, stored(sha256));
    const entry: AssetEntry = { sha256, bytes: bytes.byteLength };
    const manifest = await this.update(model, false, (current) =>
      own(current!.assets, name)?.sha256 === sha256
        ? current!
        : { ...current!, assets: { ...current!.assets, [name]: entry }, updatedAt: now() },
    );
    return { manifest, entry };
  }

  /** The bytes of an asset a version pinned. */
  async loadAsset(model: string, asset: AssetEntry): Promise<Uint8Array> {
    const object = await this.bucket.get(assetKey(model, asset.sha256));
    if (!object)
      throw new AppError(
        "invalid_manifest",
        `an asset of model '${model}' (sha256 ${asset.sha256}) is missing from storage; upload it again`,
      );
    return new Uint8Array(await object.arrayBuffer());
  }

  /**
   * Points an alias at one version, or splits its traffic by weight (`{"1": 90, "int8": 10}`): one call, which
   * other isolates see on their next manifest refresh. A split with one positive weight is a plain alias.
   */
  async setAlias(model: string, alias: string, target: string | TrafficWeights): Promise<Manifest> {
    return this.update(model, false, (current) => {
      const weights = typeof target === "string" ? { [target]: 1 } : target;
      for (const version of Object.keys(weights))
        if (!own(current!.versions, version))
          throw new AppError("version_not_found", `model '${model}' has no version '${version}'`);
      if (own(current!.versions, alias))
        throw new AppError("conflict", `'${alias}' is a version name and cannot be an alias`);
      const positive = Object.entries(weights).filter(([, weight]) => weight > 0);
      if (positive.length === 0) throw new AppError("invalid_request", "a traffic split needs a positive weight");
      const { [alias]: _, ...traffic } = current!.traffic ?? {};
      if (positive.length > 1) traffic[alias] = Object.fromEntries(positive);
      const aliases = { ...current!.aliases, [alias]: primaryVersion(Object.fromEntries(positive)) };
      const { traffic: _old, ...rest } = current!;
      return { ...rest, aliases, ...(Object.keys(traffic).length > 0 ? { traffic } : {}), updatedAt: now() };
    });
  }

  /** Removes an alias; `default` stays (it is what a model answers without a version), point it elsewhere instead. */
  async deleteAlias(model: string, alias: string): Promise<Manifest> {
    if (alias === DEFAULT_ALIAS)
      throw new AppError("conflict", "the 'default' alias cannot be deleted; point it at another version instead");
    return this.update(model, false, (current) => {
      if (!own(current!.aliases, alias))
        throw new AppError("alias_not_found", `model '${model}' has no alias '${alias}'`);
      const { [alias]: _, ...aliases } = current!.aliases;
      return { ...current!, aliases, updatedAt: now() };
    });
  }

  /**
   * Removes an asset from the model's current set: versions uploaded from now on no longer pin it. Versions that
   * pinned it keep serving with it, so its bytes are deleted only when no version refers to them.
   */
  async deleteAsset(model: string, name: string): Promise<Manifest> {
    let removed: AssetEntry | undefined;
    const manifest = await this.update(model, false, (current) => {
      removed = own(current!.assets, name);
      if (!removed) throw new AppError("asset_not_found", `model '${model}' has no asset '${name}'`);
      const { [name]: _, ...assets } = current!.assets!;
      return { ...current!, assets, updatedAt: now() };
    });
    if (!assetsInUse(manifest).has(removed!.sha256)) await this.bucket.delete(assetKey(model, removed!.sha256));
    return manifest;
  }

  /**
   * Removes a version. Refused (409) while an alias points at it and other versions remain; removing the last
   * version also clears its aliases. Weights are deleted once no version refers to them.
   */
  async deleteVersion(model: string, version: string): Promise<Manifest> {
    let removed: VersionEntry | undefined;
    const manifest = await this.update(model, false, (current) => {
      removed = own(current!.versions, version);
      if (!removed) throw new AppError("version_not_found", `model '${model}' has no version '${version}'`);
      const { [version]: _, ...versions } = current!.versions;
      const splitting = Object.entries(current!.traffic ?? {}).filter(([, weights]) => own(weights, version));
      const pointing = [...Object.entries(current!.aliases).filter(([, target]) => target === version), ...splitting];
      if (pointing.length > 0 && Object.keys(versions).length > 0) {
        const names = pointing.map(([alias]) => `'${alias}'`).join(", ");
        throw new AppError(
          "alias_in_use",
          `version '${version}' is the target of alias ${names}; point it at another version first`,
        );
      }
      const aliases = Object.fromEntries(Object.entries(current!.aliases).filter(([, target]) => target !== version));
      return { ...current!, versions, aliases, updatedAt: now() };
    });
    await this.dropUnused(model, manifest, [removed!.sha256, removed!.optimized?.sha256]);
    const inUse = assetsInUse(manifest);
    const unused = Object.values(removed!.assets ?? {}).filter((asset) => !inUse.has(asset.sha256));
    if (unused.length > 0) await this.bucket.delete(unused.map((asset) => assetKey(model, asset.sha256)));
    return manifest;
  }

  async deleteModel(model: string): Promise<void> {
    const manifest = await this.get(model);
    await this.bucket.delete(manifestKey(model));
    cache.delete(model);
    await this.releaseSessions(manifest);
    const page = await this.bucket.list({ prefix: `models/${model}/` });
    if (page.objects.length > 0) await this.bucket.delete(page.objects.map((object) => object.key));
  }

  /** Deletes the blobs of `digests` no version stores any more, and releases the sessions no version serves. */
  private async dropUnused(model: string, manifest: Manifest, digests: (string | undefined)[]): Promise<void> {
    const stored = storedDigests(manifest);
    const served = servedDigests(manifest);
    for (const digest of new Set(digests)) {
      if (digest === undefined) continue;
      if (!stored.has(digest)) await this.bucket.delete(weightsKey(model, digest));
      if (!served.has(digest)) await this.options.runtime?.release(digest);
    }
  }

  private inspectOptions(manifest: Manifest): InspectOptions {
    return {
      maxDims: manifest.limits?.maxDims,
      maxElements: manifest.limits?.maxElements ?? this.options.maxElements ?? Number.POSITIVE_INFINITY,
    };
  }

  /** Where a version's sessions come from: its optimized graph when it has one, else the uploaded graph. */
  private source(manifest: Manifest, version: string, entry: VersionEntry): ModelSource {
    const model = manifest.name;
    const served = entry.optimized ?? entry;
    const loopCap = served.runtime?.loopCap;
    return {
      digest: served.sha256,
      label: `${model}:${version}`,
      bytes: served.bytes,
      graph: entry.optimized ? "optimized" : "original",
      limits: runLimits(manifest, entry),
      load: async () => {
        const object = await this.bucket.get(weightsKey(model, served.sha256));
        if (!object) {
          cache.delete(model);
          throw new AppError("version_not_found", `the weights of '${model}' version '${version}' are gone; retry`);
        }
        const bytes = new Uint8Array(await object.arrayBuffer());
        return loopCap ? capLoopTripCounts(bytes, loopCap) : bytes;
      },
    };
  }

  private async cached(model: string, forceFresh: boolean): Promise<{ manifest: Manifest; fresh: boolean }> {
    const hit = cache.get(model);
    if (!forceFresh && hit && Date.now() - hit.fetchedAt < this.cacheMillis)
      return { manifest: hit.manifest, fresh: false };
    const found = await this.read(model);
    if (!found) throw new AppError("model_not_found", `model '${model}' does not exist`);
    return { manifest: found.manifest, fresh: true };
  }

  /**
   * Reads the manifest from R2 and caches it. Sessions of versions that disappeared since this isolate last read it
   * (deleted through another isolate) are released here.
   */
  private async read(model: string): Promise<{ manifest: Manifest; etag: string } | undefined> {
    if (!MODEL_NAME.test(model)) return undefined; // no such model can exist, and R2 refuses some such keys
    const object = await this.bucket.get(manifestKey(model));
    const before = cache.get(model)?.manifest;
    if (!object) {
      cache.delete(model);
      if (before) await this.releaseSessions(before);
      return undefined;
    }
    const parsed = ManifestSchema.safeParse(await object.json());
    if (!parsed.success)
      throw new AppError("internal_error", `the stored manifest of '${model}' is invalid: ${parsed.error.message}`);
    cache.set(model, { manifest: parsed.data, fetchedAt: Date.now() });
    if (before) await this.releaseSessions(before, parsed.data);
    return { manifest: parsed.data, etag: object.etag };
  }

  /** Releases this isolate's sessions of the versions in `before` that `after` (if any) no longer has. */
  private async releaseSessions(before: Manifest, after?: Manifest): Promise<void> {
    const runtime = this.options.runtime;
    if (!runtime) return;
    const kept = after ? servedDigests(after) : new Set<string>();
    for (const digest of storedDigests(before)) if (!kept.has(digest)) await runtime.release(digest);
  }

  /** Read-modify-write with an etag precondition, retried when another writer got there first. */
  private async update(
    model: string,
    mayCreate: boolean,
    change: (current: Manifest | undefined) => Manifest,
  ): Promise<Manifest> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const found = await this.read(model);
      if (!found && !mayCreate) throw new AppError("model_not_found", `model '${model}' does not exist`);
      const next = change(found?.manifest);
      if (found && next === found.manifest) return next;
      const onlyIf: R2Conditional = found ? { etagMatches: found.etag } : { etagDoesNotMatch: "*" };
      const written = await this.bucket.put(manifestKey(model), JSON.stringify(next), {
        onlyIf,
        httpMetadata: { contentType: "application/json" },
      });
      if (written) {
        cache.set(model, { manifest: next, fetchedAt: Date.now() });
        return next;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1))); // jittered backoff
    }
    throw new AppError("conflict", `model '${model}' is being changed concurrently; retry`, { retryAfterSeconds: 1 });
  }
}

/**
 * The limits a version's runs are held to: the manifest's, and what its upload measured. With an optimized graph,
 * the sizes its own graph computes, and the larger of the two graphs' memory (one may plan its tensors worse).
 */
function runLimits(manifest: Manifest, entry: VersionEntry): RunLimits {
  const { maxDims, maxLoopIterations } = manifest.limits ?? {};
  const memory = largerMemory(entry.runtime?.memory, entry.optimized?.runtime.memory);
  const sizes = entry.optimized ? entry.optimized.runtime.sizes : entry.runtime?.sizes;
  return {
    ...(maxDims ? { maxDims } : {}),
    ...(maxLoopIterations ? { maxLoopIterations } : {}),
    ...(memory ? { memory } : {}),
    ...(sizes ? { sizes } : {}),
  };
}

/** A profile at least as large as each: the larger session, and a run line above both lines for every input size. */
function largerMemory(a?: MemoryProfile, b?: MemoryProfile): MemoryProfile | undefined {
  if (!a || !b) return a ?? b;
  const run =
    a.run && b.run
      ? {
          fixedBytes: Math.max(a.run.fixedBytes, b.run.fixedBytes),
          bytesPerElement: Math.max(a.run.bytesPerElement, b.run.bytesPerElement),
        }
      : undefined; // one was not measured: the budget's conservative default, as for that graph alone
  return { sessionBytes: Math.max(a.sessionBytes, b.sessionBytes), ...(run ? { run } : {}) };
}

/** The digests of every graph the manifest's versions store: uploaded (served or not) and optimized. */
function storedDigests(manifest: Manifest): Set<string> {
  return new Set(
    Object.values(manifest.versions).flatMap((entry) => [
      entry.sha256,
      ...(entry.optimized ? [entry.optimized.sha256] : []),
    ]),
  );
}

/** The digests of the graphs the manifest's versions' sessions are created from. */
function servedDigests(manifest: Manifest): Set<string> {
  return new Set(Object.values(manifest.versions).map((entry) => entry.optimized?.sha256 ?? entry.sha256));
}

interface PreparedUpload {
  info: OnnxModelInfo;
  /** The graph to store and serve. */
  served: Uint8Array;
  /** What changed from the uploaded file; undefined when it is served as uploaded. */
  original?: string[];
  classLabels: Record<string, string[]>;
}

/**
 * Reads the upload (stopping at the node limit) and rewrites what onnxruntime-web cannot return (ZipMap outputs);
 * not an ONNX model is 422.
 */
function prepareUpload(bytes: Uint8Array, limits: UploadLimits): PreparedUpload {
  const info = readUpload(bytes, limits);
  const usesMl = info.operators.some((op) => op.domain === "ai.onnx.ml");
  if (!usesMl) return { info, served: bytes, classLabels: {} };
  let servable: ReturnType<typeof servableClassifier>;
  try {
    servable = servableClassifier(bytes);
  } catch (error) {
    if (error instanceof OnnxFormatError) throw new AppError("invalid_model", error.message);
    throw error;
  }
  if (servable.unzipped.length === 0) return { info, served: bytes, classLabels: servable.classLabels };
  const changes = servable.unzipped.map(
    (output) =>
      `output '${output}': its ZipMap (a sequence of maps) was removed; it is served as the FLOAT [batch, classes] tensor that fed it`,
  );
  return {
    info: readUpload(servable.bytes, limits),
    served: servable.bytes,
    original: changes,
    classLabels: servable.classLabels,
  };
}

/** The digests of the assets the model's current set and its versions refer to. */
function assetsInUse(manifest: Manifest): Set<string> {
  return new Set(
    [
      ...Object.values(manifest.assets ?? {}),
      ...Object.values(manifest.versions).flatMap((entry) => Object.values(entry.assets ?? {})),
    ].map((a) => a.sha256),
  );
}

function pickVersion(manifest: Manifest, reference: string, sticky?: string): string | undefined {
  if (own(manifest.versions, reference)) return reference;
  const split = own(manifest.traffic, reference);
  if (split) {
    const drawn = drawVersion(split, `${manifest.name}\n${reference}`, sticky);
    if (own(manifest.versions, drawn)) return drawn;
  }
  const target = own(manifest.aliases, reference);
  return target && own(manifest.versions, target) ? target : undefined;
}

/**
 * Returns `false` (nothing created) when the stored version was uploaded from a file with this digest; throws
 * otherwise.
 */
function ensureSameWeights(model: string, version: string, entry: VersionEntry, sha256: string): false {
  if ((entry.original?.sha256 ?? entry.sha256) === sha256) return false;
  throw new AppError(
    "version_exists",
    `model '${model}' already has a version '${version}' with other weights; versions are immutable, upload a new version`,
  );
}

async function digestHex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function now(): string {
  return new Date().toISOString();
}

/**
 * How a file is written to R2: under its digest, which R2 checks the bytes against (`sha256`) and which is also kept
 * as metadata. (A local seeding stall once blamed on the check was V8's, in local workerd: docs/testing.md.)
 */
function stored(sha256: string): R2PutOptions {
  return { sha256, customMetadata: { sha256 }, httpMetadata: { contentType: "application/octet-stream" } };
}
