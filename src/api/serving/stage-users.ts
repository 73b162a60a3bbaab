/**
 * Which pipelines run a given version of a model as one of their stages (an OCR detector's classifier and
 * recognizer, `name@version` in its manifest). Deleting such a version would break every request to the pipeline,
 * so the admin route refuses it (409 `version_in_use`) and names the pipelines.
 */
import type { Manifest } from "../../registry/manifest";
import type { ModelRegistry } from "../../registry/registry";
import { taskDefinition } from "../../tasks/index";
import { parseModelReference } from "./task-serving";

/** `pipeline@version (role)` for every version of every model whose stages name `model@version` or an alias of it. */
export async function stageUsers(registry: ModelRegistry, model: string, version: string): Promise<string[]> {
  const target = await registry.get(model);
  const names = new Set([version, ...Object.entries(target.aliases).flatMap(([a, v]) => (v === version ? [a] : []))]);
  const users: string[] = [];
  for (const manifest of await registry.list()) {
    for (const [pipelineVersion, role, reference] of stageReferences(manifest)) {
      const parsed = safeParse(reference);
      if (parsed?.name === model && names.has(parsed.version ?? "default"))
        users.push(`${manifest.name}@${pipelineVersion} (${role})`);
    }
  }
  return users;
}

function* stageReferences(manifest: Manifest): Generator<[version: string, role: string, reference: string]> {
  const stages = taskDefinition(manifest.task)?.stages;
  if (!stages) return;
  for (const version of Object.keys(manifest.versions)) {
    let references: Record<string, string>;
    try {
      references = stages(manifest, version);
    } catch {
      continue; // a manifest whose configuration no longer parses runs no stages
    }
    for (const [role, reference] of Object.entries(references)) yield [version, role, reference];
  }
}

function safeParse(reference: string): { name: string; version?: string } | undefined {
  try {
    return parseModelReference(reference);
  } catch {
    return undefined;
  }
}
