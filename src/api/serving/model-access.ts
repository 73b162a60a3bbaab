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
