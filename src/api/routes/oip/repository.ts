/**
 * Triton's model repository extension (`model_repository` in `GET /v2` extensions): `POST /v2/repository/index`
 * lists every version of the models this key may call, all `READY` (a model loads in an isolate on its first
 * request). Models are uploaded and removed through the admin API, so the extension's load and unload requests
 * are refused with a 400 saying so, as Triton refuses them when it does not control the repository itself.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../../errors";
import { versionNames } from "../../../registry/manifest";
import { parseOrFail } from "../../../validation";
import type { AppEnv } from "../../context";
import { limitBody } from "../../middleware/body-limit";
import { OipErrorSchema, RepositoryIndexRequestSchema, RepositoryIndexSchema } from "../../protocol/oip/schemas";
import { usableModels } from "../../serving/model-access";

const tags = ["Open Inference Protocol"];
const security = [{ apiKey: [] }];
const oipErrors = (description: string) => ({
  400: { description, content: { "application/json": { schema: OipErrorSchema } } },
  401: { description: "Missing or invalid API key", content: { "application/json": { schema: OipErrorSchema } } },
});

const index = createRoute({
  method: "post",
  path: "/v2/repository/index",
  tags,
  security,
  summary: "Model repository index (Triton's extension)",
  description: "Every version of the models this key may call. The body may be empty (tritonclient sends none).",
  request: { body: { required: false, content: { "application/json": { schema: RepositoryIndexRequestSchema } } } },
  responses: {
    200: {
      description: "One entry per model version",
      content: { "application/json": { schema: RepositoryIndexSchema } },
    },
    ...oipErrors("Malformed request"),
  },
});

const REFUSALS = {
  load: "explicit model load is not supported: an uploaded model loads on its first request (upload versions with PUT /admin/models/{model}/versions/{version})",
  unload:
    "explicit model unload is not supported: each isolate releases idle models itself (remove one with DELETE /admin/models/{model})",
} as const;

export function registerRepositoryRoutes(app: OpenAPIHono<AppEnv>): void {
  // validated here rather than by the route: an empty body is a valid index request
  app.openAPIRegistry.registerPath(index);
  app.post(
    "/v2/repository/index",
    limitBody((config) => config.maxAdminJsonBytes, "the index request"),
    async (c) => {
      parseIndexRequest(await c.req.text());
      const entries = (await usableModels(c)).flatMap((manifest) =>
        versionNames(manifest).map((version) => ({
          name: manifest.name,
          version,
          state: "READY" as const,
          reason: "",
        })),
      );
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return c.json(entries, 200);
    },
  );

  for (const [action, refusal] of Object.entries(REFUSALS)) {
    const path = `/v2/repository/models/{model}/${action}`;
    app.openAPIRegistry.registerPath(
      createRoute({
        method: "post",
        path,
        tags,
        security,
        summary: `Model ${action}: refused, models are managed through the admin API`,
        request: { params: z.object({ model: z.string() }) },
        responses: oipErrors(`Always: ${refusal}`),
      }),
    );
    app.post(path.replace("{model}", ":model"), () => {
      throw new AppError("invalid_request", refusal);
    });
  }
}

/** `{}`, `{"ready": true}` or nothing; `ready` changes nothing, every model being ready. */
function parseIndexRequest(text: string): void {
  if (text.trim() === "") return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError("invalid_json", `the index request is not valid JSON: ${(error as Error).message}`);
  }
  parseOrFail(
    RepositoryIndexRequestSchema,
    value,
    ({ where, message }) => new AppError("invalid_request", `invalid index request at '${where}': ${message}`),
  );
}
