/**
 * Server metadata and health (OIP V2), plus a small index at `/`. No key needed.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../context";
import { LiveSchema, ReadySchema, ServerMetadataSchema } from "../../protocol/oip/schemas";
import { SERVER_NAME, SERVER_VERSION } from "../../protocol/server-info";

const tags = ["Open Inference Protocol"];

/** The extensions `GET /v2` lists, by the names Triton gives them. */
const OIP_EXTENSIONS = ["binary_tensor_data", "model_repository"] as const;

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["Discovery"],
      summary: "Where to start",
      responses: {
        200: {
          description: "Server name and where its API is described",
          content: {
            "application/json": { schema: z.object({ name: z.string(), version: z.string(), openapi: z.string() }) },
          },
        },
      },
    }),
    (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, openapi: "/openapi.json" }, 200),
  );

  // the spec's table writes `v2`, its YAML `/v2/`: both answer
  for (const path of ["/v2", "/v2/"]) {
    app.openapi(
      createRoute({
        method: "get",
        path,
        tags,
        summary: "Server metadata",
        responses: {
          200: {
            description: "Name, version and supported extensions",
            content: { "application/json": { schema: ServerMetadataSchema } },
          },
        },
      }),
      (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [...OIP_EXTENSIONS] }, 200),
    );
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/health/live",
      tags,
      summary: "Liveness",
      responses: {
        200: { description: "The server answers", content: { "application/json": { schema: LiveSchema } } },
      },
    }),
    (c) => c.json({ live: true }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/health/ready",
      tags,
      summary: "Readiness",
      description: "Ready when the model store (R2) answers; models load lazily on first use.",
      responses: {
        200: { description: "Ready", content: { "application/json": { schema: ReadySchema } } },
        503: {
          description: "The model store does not answer",
          content: { "application/json": { schema: ReadySchema } },
        },
      },
    }),
    async (c) => {
      try {
        await c.env.MODELS.head("models/");
        return c.json({ ready: true }, 200);
      } catch {
        return c.json({ ready: false }, 503);
      }
    },
  );
}
