/**
 * Serves a task request: metering, the KV response cache, the task's stages and their Server-Timing. Shared by
 * `POST /v1/run/{model}` and `POST /v1/embeddings`, which differ only in how they read the request and render
 * the answer.
 */
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import { AppError } from "../errors";
import type { Manifest } from "../registry/manifest";
import type { ResolvedModel } from "../registry/registry";
import { configSource } from "../tasks/config";
import { executeTask } from "../tasks/execute";
import { createModelHandle, type RunLedger } from "../tasks/model-handle";
import type { TaskContext, TaskDefinition, TaskLimits } from "../tasks/task";
import type { AppEnv } from "./context";
import { cachedResponse } from "./caching";
import { metered } from "./metering";
import { resolveModel } from "./model-access";

/** Items per session call when a manifest sets no `limits.maxBatch`. */
const DEFAULT_MAX_BATCH = 32;

export interface TaskCall<Request, Response> {
  model: ResolvedModel;
  task: TaskDefinition<Request, any, any, Response>;
  request: Request;
  /** What identifies the request's content for the cache: the media bytes, or the request's canonical JSON. */
  cacheInputs: Uint8Array[];
  /** The response's shape when a route renders the answer its own way (e.g. `openai-embeddings`). */
  shape?: string;
  /** Turns the task's answer into the response body (default: as is). */
  render?: (response: Response) => unknown;
}

export async function serveTask<Request, Response>(c: Context<AppEnv>, call: TaskCall<Request, Response>): Promise<globalThis.Response> {
  const { model, task, request } = call;
  const units = task.units(request);
  const cacheSpec = { model, task: call.shape ?? task.name, options: outputDeterminants(model), inputs: call.cacheInputs };
  return metered(c, { model: model.manifest.name, version: model.version, units }, (gate) =>
    cachedResponse(c, cacheSpec, gate, async () => {
      const ledger: RunLedger = { runMillis: 0, runs: 0 };
      const warnings: string[] = [];
      const context = createTaskContext(c, model, ledger, warnings);
      const { response, timings } = await executeTask(task, request, context);
      if (ledger.cold) {
        const { init, fetch, create } = ledger.cold;
        if (init !== undefined) setMetric(c, "ort-init", init);
        if (fetch !== undefined) setMetric(c, "r2-read", fetch);
        if (create !== undefined) setMetric(c, "session", create);
      }
      setMetric(c, "pre", timings.pre);
      setMetric(c, "infer", timings.infer, `${ledger.runs} session runs`);
      setMetric(c, "run", ledger.runMillis, "inside session.run");
      setMetric(c, "post", timings.post);
      for (const warning of warnings) c.header("Warning", `299 edge-maas ${JSON.stringify(warning)}`, { append: true });
      return c.json((call.render ? call.render(response) : response) as object, 200);
    }),
  );
}

/** Limits a task applies, from the model's manifest with the server's defaults. */
export function taskLimits(c: Context<AppEnv>, manifest: Manifest): TaskLimits {
  const limits = manifest.limits ?? {};
  return {
    maxBatch: limits.maxBatch ?? DEFAULT_MAX_BATCH,
    maxItems: limits.maxItems ?? c.get("config").maxTaskItems,
    maxElements: limits.maxElements ?? c.get("config").maxTensorElements,
    maxImagePixels: limits.maxImagePixels ?? c.get("config").maxImagePixels,
  };
}

function createTaskContext(c: Context<AppEnv>, model: ResolvedModel, ledger: RunLedger, warnings: string[]): TaskContext {
  const handle = (resolved: ResolvedModel) => createModelHandle(resolved, c.get("runtime"), c.get("registry"), ledger);
  return {
    model: handle(model),
    limits: taskLimits(c, model.manifest),
    async resolve(reference: string) {
      const { name, version } = parseModelReference(reference);
      return handle(await resolveModel(c, name, version));
    },
    warn: (message) => void warnings.push(message),
  };
}

/** `name` or `name@version` (a version name or an alias). */
export function parseModelReference(reference: string): { name: string; version?: string } {
  const at = reference.indexOf("@");
  if (at < 0) return { name: reference };
  const name = reference.slice(0, at);
  const version = reference.slice(at + 1);
  if (!name || !version) throw new AppError("invalid_request", `'${reference}' is not a model reference; use 'model' or 'model@version'`);
  return { name, version };
}

/**
 * Besides the weights and the input, a task's answer depends on the manifest's task configuration (labels,
 * pre/post-processing) and on the assets the version pinned: all of it goes into the cache key.
 */
function outputDeterminants(model: ResolvedModel): unknown {
  const assets = Object.entries(model.entry.assets ?? {}).map(([name, asset]) => [name, asset.sha256]);
  return { config: configSource(model.manifest), assets };
}
