/**
 * Helpers for declaring routes in the OpenAPI document: JSON bodies and responses, and routes whose handler reads
 * the body itself.
 */
import type { OpenAPIHono, RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Config } from "../../config";
import type { AppEnv } from "../context";
import { limitBody } from "../middleware/body-limit";

/** A JSON response described by `schema`. @example responses: { 200: jsonResponse(TenantSchema, "The tenant") } */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body described by `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/**
 * Mounts a route whose handler reads the body itself (binary, several media types, or JSON checked envelope-first
 * so limits apply before the data is converted) behind a body-size limit (by default the request limit), and
 * documents it as `route` says. `app.openapi` would validate a JSON body before the handler runs.
 */
export function mountWithOwnBody(
  app: OpenAPIHono<AppEnv>,
  route: RouteConfig & { getRoutingPath(): string },
  handler: (c: Context<AppEnv>) => Promise<Response>,
  { maxBytes = (config: Config) => config.maxRequestBytes, what = "the request" } = {},
): void {
  app.openAPIRegistry.registerPath(route);
  app.on(route.method.toUpperCase(), route.getRoutingPath(), limitBody(maxBytes, what), handler);
}
