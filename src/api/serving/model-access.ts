/**
 * Which models a caller may see and use. Another tenant's private model answers exactly like a model that does
 * not exist (404), so its existence does not leak.
 */
import type { Context } from "hono";
import { endTime, startTime } from "hono/timing";
import { AppError } from "../../errors";
import type { Manifest } from "../../registry/manifest";
import type { ResolvedModel } from "../../registry/registry";
import type { AppEnv } from "../context";

export function visibleTo(manifest: Manifest, tenantId: string | undefined, tenancy: "required" | "off"): boolean {
  return tenancy === "off" || manifest.visibility !== "private" || manifest.owner === tenantId;
}

/** Resolves `{model}` and `{version}` (or an alias; `default` when absent) from the path, for this caller. */
export async function resolveModel(
  c: Context<AppEnv>,
  name = c.req.param("model")!,
  reference = c.req.param("version"),
): Promise<ResolvedModel> {
  startTime(c, "resolve");
  try {
    const model = await c.get("registry").resolve(name, reference);
    if (!visibleTo(model.manifest, c.get("tenant")?.tenantId, c.get("config").tenancy))
      throw new AppError("model_not_found", `model '${name}' does not exist`);
    return model;
  } finally {
    endTime(c, "resolve");
  }
}

/** Checks the caller's key (status and scope) for a route that reads but does not meter. */
export async function authorize(c: Context<AppEnv>, scope: string, model?: string): Promise<void> {
  const caller = c.get("tenant");
  if (!caller) return;
  startTime(c, "auth");
  try {
    await c.get("tenancy").authorize(caller, scope, model);
  } finally {
    endTime(c, "auth");
  }
}

/** A key may call a model with the `infer` scope, or `infer:{model}` for that model alone. */
function scopesAllow(scopes: readonly string[], model: string): boolean {
  return scopes.includes("infer") || scopes.includes(`infer:${model}`);
}

/** The models this caller may see and call: visible to its tenant, within its key's `infer` scopes. */
export async function usableModels(c: Context<AppEnv>): Promise<Manifest[]> {
  const manifests = await c.get("registry").list();
  const caller = c.get("tenant");
  if (!caller) return manifests;
  const { scopes } = await c.get("tenancy").authorize(caller, "*");
  return manifests.filter((m) => visibleTo(m, caller.tenantId, c.get("config").tenancy) && scopesAllow(scopes, m.name));
}

/** Resolves a model this caller may call; one it may not answers `model_not_found`, as if it did not exist. */
export async function resolveUsableModel(c: Context<AppEnv>, name: string, reference?: string): Promise<ResolvedModel> {
  const model = await resolveModel(c, name, reference);
  const caller = c.get("tenant");
  if (caller) {
    const { scopes } = await c.get("tenancy").authorize(caller, "*");
    if (!scopesAllow(scopes, name)) throw new AppError("model_not_found", `model '${name}' does not exist`);
  }
  return model;
}
