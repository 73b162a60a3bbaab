/**
 * A task's configuration from the model's manifest (`preprocess`, `postprocess`, `labels`), parsed by the task's
 * own schema once per manifest revision. Uploads validate it (`validateTaskConfig`), so requests only re-read it.
 */
import { AppError } from "../errors";
import type { Manifest } from "../registry/manifest";
import { parseOrFail } from "../validation";
import type { TaskDefinition } from "./task";

const parsed = new WeakMap<Manifest, unknown>();

/** What a task's `config` schema is given. */
export function configSource(
  manifest: Pick<Manifest, "preprocess" | "postprocess" | "labels">,
): Record<string, unknown> {
  return { preprocess: manifest.preprocess ?? {}, postprocess: manifest.postprocess ?? {}, labels: manifest.labels };
}

/** Throws `invalid_manifest` (422) when the manifest's configuration does not fit its task. */
export function validateTaskConfig(
  task: TaskDefinition,
  manifest: Pick<Manifest, "preprocess" | "postprocess" | "labels">,
): void {
  if (!task.config) return;
  parseOrFail(
    task.config,
    configSource(manifest),
    ({ where, message }) =>
      new AppError("invalid_manifest", `the ${task.name} configuration is invalid at '${where}': ${message}`),
  );
}

/** The task's parsed configuration of this manifest (memoized per manifest object). */
export function taskConfig<T>(task: TaskDefinition & { config?: { parse(value: unknown): T } }, manifest: Manifest): T {
  if (!task.config) return {} as T;
  if (!parsed.has(manifest)) parsed.set(manifest, task.config.parse(configSource(manifest)));
  return parsed.get(manifest) as T;
}
