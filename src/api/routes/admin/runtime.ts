/**
 * The answering isolate's runtime state: loaded sessions, the memory they hold, the WASM heap's size, free space,
 * budget and ceiling, and the runs waiting. Each isolate has its own; in production a request reaches one of many.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";

const tags = ["Admin: runtime"];
const security = [{ adminToken: [] }];

const RuntimeStatsSchema = z
  .object({
    ortInitMillis: z.number().meta({ description: "how long onnxruntime's start took in this isolate (0: not yet)" }),
    ortStartedBy: z.enum(["isolate", "request"]).nullable().meta({
      description:
        "what started onnxruntime: the isolate's start , or a request (ORT_START=request, or after a start that failed)",
    }),
    wasmMemoryBytes: z.number().int().meta({ description: "the WASM heap's size; it never shrinks" }),
    freeBytes: z.number().int().meta({ description: "free blocks of 64 KiB and more inside the heap" }),
    freeTopBytes: z.number().int().meta({ description: "of them, those at the heap's end" }),
    largestHoleBytes: z.number().int().meta({ description: "the largest free piece elsewhere" }),
    budgetBytes: z
      .number()
      .int()
      .meta({ description: "what sessions and runs are planned to fit (SESSION_BUDGET_MB)" }),
    ceilingBytes: z.number().int().meta({ description: "the heap never grows past this (0: not enforced)" }),
    chargedBytes: z.number().int().meta({ description: "WASM memory the loaded sessions hold" }),
    evictions: z.number().int(),
    queuedRuns: z.number().int().meta({ description: "runs and session loads waiting for their turn" }),
    refusedGrowths: z.number().int().meta({ description: "allocations refused at the ceiling" }),
    sessions: z.array(
      z.object({
        digest: z.string(),
        label: z.string(),
        graph: z.enum(["original", "optimized"]).meta({
          description:
            "`optimized`: created with optimizations off from the version's graph optimized ahead of time; `original`: from the uploaded graph at the full level",
        }),
        modelBytes: z.number().int(),
        chargedBytes: z.number().int().meta({ description: "WASM memory the session holds" }),
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
