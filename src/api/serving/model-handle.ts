/**
 * The `ModelHandle` a task sees: runs one model version through the isolate's session pool and reads the assets
 * the version pinned, parsed once per isolate. Session-run times are summed so the route can report how much of a
 * request was the model itself.
 */
import { AppError } from "../../errors";
import { own } from "../../lookup";
import type { ModelRegistry, ResolvedModel } from "../../registry/registry";
import { yieldToEventLoop } from "../../runtime/run-scheduler";
import type { RunTimings, SessionPool } from "../../runtime/session-pool";
import type { NamedTensors } from "../../runtime/tensor";
import type { ModelHandle } from "../../tasks/task";

export interface RunLedger {
  /** Milliseconds inside `session.run`, summed over every run of the request. */
  runMillis: number;
  runs: number;
  /** The timings of a run that had to load its model first. */
  cold?: RunTimings;
}

const MAX_PARSED_ASSETS = 32;
/** sha256 → parsed forms of that asset, one per parser; least recently used first. */
const parsedAssets = new Map<string, Map<unknown, Promise<unknown>>>();

export function createModelHandle(
  model: ResolvedModel,
  runtime: SessionPool,
  registry: ModelRegistry,
  ledger: RunLedger,
): ModelHandle {
  const { manifest, version, entry, source } = model;
  return {
    name: manifest.name,
    version,
    manifest,
    entry,
    async run(inputs: NamedTensors, outputNames?: string[]): Promise<NamedTensors> {
      // between a pipeline's runs, requests that arrived meanwhile are read and queued before the next run
      if (ledger.runs > 0) await yieldToEventLoop();
      const { outputs, timings } = await runtime.run(source, inputs, outputNames);
      ledger.runMillis += timings.run;
      ledger.runs += 1;
      if (timings.create !== undefined) ledger.cold = timings;
      return outputs;
    },
    asset<T>(name: string, parse: (bytes: Uint8Array) => T | Promise<T>): Promise<T> {
      const asset = own(entry.assets, name);
      if (!asset)
        throw new AppError(
          "invalid_manifest",
          `model '${manifest.name}' version '${version}' has no asset '${name}'; upload it (PUT /admin/models/${manifest.name}/assets/${name}), then upload the version again under a new name`,
        );
      return parsedOnce(asset.sha256, parse, async () => parse(await registry.loadAsset(manifest.name, asset)));
    },
  };
}

function parsedOnce<T>(sha256: string, parser: unknown, load: () => Promise<T>): Promise<T> {
  let forms = parsedAssets.get(sha256);
  if (forms) {
    parsedAssets.delete(sha256); // re-insert: most recently used last
    parsedAssets.set(sha256, forms);
  } else {
    forms = new Map();
    parsedAssets.set(sha256, forms);
    if (parsedAssets.size > MAX_PARSED_ASSETS) parsedAssets.delete(parsedAssets.keys().next().value!);
  }
  let promise = forms.get(parser) as Promise<T> | undefined;
  if (!promise) {
    promise = load();
    forms.set(parser, promise);
    promise.catch(() => forms.delete(parser)); // a failed load is retried by the next request
  }
  return promise;
}
