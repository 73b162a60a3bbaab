/**
 * The answering isolate's runtime state: loaded sessions, their memory charge and WASM heap size. Each isolate
 * has its own; in production a request reaches one of many.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";

const tags = ["Admin: runtime"];
const security = [{ adminToken: [] }];

const RuntimeStatsSchema = z
  .object({
    ortInitMillis: z.number(),
    wasmMemoryBytes: z.number().int(),
    budgetBytes: z.number().int(),
    chargedBytes: z.number().int(),
    evictions: z.number().int(),
    sessions: z.array(
      z.object({
        digest: z.string(),
        label: z.string(),
        modelBytes: z.number().int(),
        chargedBytes: z.number().int(),
        fetchMillis: z.number(),
        createMillis: z.number(),
        runs: z.number().int(),
        lastUsed: z.number(),
      }),
    ),
  })
  .meta({ id: "RuntimeStats" });

const ok = {
  description: "Runtime state of the answering isolate",
  content: { "application/json": { schema: RuntimeStatsSchema } },
};

export function registerAdminRuntimeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/runtime",
      tags,
      security,
      summary: "Sessions and WASM memory",
      responses: { 200: ok, ...errorResponses(401) },
    }),
    (c) => c.json(c.get("runtime").stats(), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/runtime/sessions",
      tags,
      security,
      summary: "Release every idle session",
      responses: { 200: ok, ...errorResponses(401) },
    }),
    async (c) => {
      await c.get("runtime").clear();
      return c.json(c.get("runtime").stats(), 200);
    },
  );
}
