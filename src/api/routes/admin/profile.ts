/**
 * Times `session.run` inside the answering isolate, with no HTTP around it: the reference the benchmark holds
 * HTTP latency against. Locally clocks tick normally; in production they only move at I/O, so there the figures
 * read 0 and only the local ones mean anything.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../../errors";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";
import { inferRequestBody } from "../../protocol/oip/metadata";
import { jsonResponse, mountWithOwnBody } from "../../protocol/openapi";
import { prepareInference } from "../../serving/inference";

const ProfileSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    iterations: z.number().int(),
    totalMillis: z.number(),
    meanMillis: z.number(),
    wasmMemoryBytes: z.number().int(),
  })
  .meta({ id: "Profile" });

const MAX_ITERATIONS = 1000;

export function registerAdminProfileRoute(app: OpenAPIHono<AppEnv>): void {
  const route = createRoute({
    method: "post",
    path: "/admin/models/{model}/versions/{version}/profile",
    tags: ["Admin: runtime"],
    security: [{ adminToken: [] }],
    summary: "Time session.run in this isolate",
    description: `The body is an OIP inference request (JSON or binary). Runs it once to warm up, then \`iterations\` times (1-${MAX_ITERATIONS}, default 100), timing only the runtime.`,
    request: {
      params: z.object({ model: z.string(), version: z.string() }),
      query: z.object({ iterations: z.string().optional() }),
      body: inferRequestBody,
    },
    responses: {
      200: jsonResponse(ProfileSchema, "Timing"),
      ...errorResponses(400, 401, 404, 413, 415, 422),
    },
  });
  mountWithOwnBody(app, route, profile, { what: "the inference request" });
}

async function profile(c: Context<AppEnv>): Promise<Response> {
  const iterations = Number(c.req.query("iterations") ?? 100);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new AppError("invalid_request", `iterations must be an integer from 1 to ${MAX_ITERATIONS}`);
  }
  const model = await c.get("registry").resolve(c.req.param("model")!, c.req.param("version"));
  const { inputs, outputNames } = await prepareInference(c, model);
  const runtime = c.get("runtime");
  await runtime.run(model.source, inputs, outputNames);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await runtime.run(model.source, inputs, outputNames);
  const totalMillis = performance.now() - started;
  return c.json(
    {
      model: model.manifest.name,
      version: model.version,
      iterations,
      totalMillis,
      meanMillis: totalMillis / iterations,
      wasmMemoryBytes: runtime.stats().wasmMemoryBytes,
    },
    200,
  );
}
