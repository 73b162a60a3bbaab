/**
 * Serves a task request: metering, the KV response cache, the task's stages and their Server-Timing. Shared by
 * `POST /v1/run/{model}` and `POST /v1/embeddings`, which differ only in how they read the request and render
 * the answer.
 */
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import { AppError, isAppError } from "../../errors";
import type { ResolvedModel } from "../../registry/registry";
import { configSource } from "../../tasks/config";
import type { TaskContext, TaskDefinition } from "../../tasks/task";
import type { AppEnv } from "../context";
import { cachedResponse } from "./caching";
import { executeTask, type StageTimings } from "./execute-task";
import { modelLimits } from "./limits";
import { metered } from "./metering";
import { resolveModel } from "./model-access";
import { createModelHandle, type RunLedger } from "./model-handle";
import { readAhead } from "./read-ahead";
import { takeRunSlot } from "./run-slots";
import { recordColdStart } from "./timings";

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
  /** The route's item limit per request when the manifest sets none (default MAX_TASK_ITEMS). */
  maxItems?: number;
}

export async function serveTask<Request, Response>(
  c: Context<AppEnv>,
  call: TaskCall<Request, Response>,
): Promise<globalThis.Response> {
  const { model, task, request } = call;
  const units = task.units(request);
  const stages = await resolveStages(c, model, task);
  readAhead(c, model, ...[...stages.values()].map((stage) => stage.model));
  const cacheSpec = {
    model,
    task: call.shape ?? task.name,
    options: outputDeterminants(model, stages),
    inputs: call.cacheInputs,
  };
  const release = takeRunSlot(c);
  return metered(c, { model: model.manifest.name, version: model.version, units }, (gate) =>
    cachedResponse(c, cacheSpec, gate, async () => {
      const ledger: RunLedger = { runMillis: 0, queueMillis: 0, runs: 0 };
      const warnings: string[] = [];
      const context = createTaskContext(c, call, ledger, warnings, stages);
      const { response, timings } = await executeTask(task, request, context);
      if (ledger.cold) recordColdStart(c, ledger.cold);
      setMetric(c, "pre", timings.pre);
      setMetric(c, "infer", timings.infer, `${ledger.runs} session runs`);
      setMetric(c, "run", ledger.runMillis, "inside session.run");
      setMetric(c, "post", timings.post);
      observeTask(c, call, ledger, timings, response);
      for (const warning of warnings) c.header("Warning", `299 edge-maas ${JSON.stringify(warning)}`, { append: true });
      return c.json((call.render ? call.render(response) : response) as object, 200);
    }),
  ).finally(release);
}

/** What the request's log line and metrics learn of a task's run: its stages' times and a classifier's labels. */
function observeTask<Response>(
  c: Context<AppEnv>,
  { model, task }: TaskCall<unknown, Response>,
  ledger: RunLedger,
  timings: StageTimings,
  response: Response,
): void {
  const observation = c.get("observation");
  observation.inputMs += timings.pre;
  observation.inferMs += ledger.runMillis;
  observation.queueMs += ledger.queueMillis;
  observation.outputMs += timings.post;
  observation.runs += ledger.runs;
  observation.sessionBytes = c.get("runtime").sessionBytes(model.source.digest);
  observation.labels = task.topLabels?.(response);
}

/** A pipeline's stages as resolved for this request, by the reference the manifest gives. */
type ResolvedStages = Map<string, { role: string; model: ResolvedModel }>;

/** Resolves the task's `stages`; one that does not resolve is the manifest's fault (422), not the caller's. */
async function resolveStages(c: Context<AppEnv>, model: ResolvedModel, task: TaskDefinition): Promise<ResolvedStages> {
  const stages: ResolvedStages = new Map();
  for (const [role, reference] of Object.entries(task.stages?.(model.manifest, model.version) ?? {})) {
    if (stages.has(reference)) continue;
    try {
      const { name, version } = parseModelReference(reference);
      stages.set(reference, { role, model: await resolveModel(c, name, version) });
    } catch (error) {
      if (isAppError(error) && ["model_not_found", "version_not_found", "invalid_request"].includes(error.code)) {
        throw new AppError(
          "invalid_manifest",
          `model '${model.manifest.name}' version '${model.version}' names '${reference}' as its ${role}, which is not available: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  return stages;
}

function createTaskContext(
  c: Context<AppEnv>,
  { model, maxItems }: Pick<TaskCall<unknown, unknown>, "model" | "maxItems">,
  ledger: RunLedger,
  warnings: string[],
  stages: ResolvedStages,
): TaskContext {
  const handle = (resolved: ResolvedModel) => createModelHandle(resolved, c.get("runtime"), c.get("registry"), ledger);
  return {
    model: handle(model),
    limits: modelLimits(c.get("config"), model.manifest, maxItems),
    async resolve(reference: string) {
      const stage = stages.get(reference);
      if (stage) return handle(stage.model);
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
  if (!name || !version)
    throw new AppError("invalid_request", `'${reference}' is not a model reference; use 'model' or 'model@version'`);
  return { name, version };
}

/**
 * Besides the weights and the input, a task's answer depends on the manifest's task configuration (labels,
 * pre/post-processing), on the assets the version pinned and on the weights and assets of the pipeline's other
 * models: all of it goes into the cache key.
 */
function outputDeterminants(model: ResolvedModel, stages: ResolvedStages): unknown {
  const assetDigests = (resolved: ResolvedModel) =>
    Object.entries(resolved.entry.assets ?? {}).map(([name, asset]) => [name, asset.sha256]);
  const determinants: Record<string, unknown> = { config: configSource(model.manifest), assets: assetDigests(model) };
  if (stages.size > 0) {
    determinants.stages = [...stages.values()].map(({ role, model: stage }) => [
      role,
      stage.manifest.name,
      stage.entry.sha256,
      assetDigests(stage),
    ]);
  }
  return determinants;
}
