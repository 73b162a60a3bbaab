/**
 * OpenAI's models API over the registry: `GET /v1/models` lists the models this key may call and
 * `GET /v1/models/{id}` retrieves one (`name` or `name@version`), so OpenAI's SDKs (`models.list()`,
 * `models.retrieve()`) work unmodified. Errors use OpenAI's envelope (src/api/protocol/errors.ts).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../context";
import { openAiErrorResponses } from "../../protocol/error-schemas";
import { ModelListSchema, ModelObjectSchema, modelObject } from "../../protocol/model-listing";
import { resolveUsableModel, usableModels } from "../../serving/model-access";
import { parseModelReference } from "../../serving/task-serving";

const tags = ["Models"];
const security = [{ apiKey: [] }];

const listModels = createRoute({
  method: "get",
  path: "/v1/models",
  tags,
  security,
  summary: "Models this key may call (OpenAI's list)",
  responses: {
    200: {
      description: '`{object: "list", data: [model]}`',
      content: { "application/json": { schema: ModelListSchema } },
    },
    ...openAiErrorResponses(401),
  },
});

const retrieveModel = createRoute({
  method: "get",
  path: "/v1/models/{id}",
  tags,
  security,
  summary: "One model (OpenAI's retrieve)",
  description: "`{id}` is `name` (its default version) or `name@version` (a version or an alias).",
  request: { params: z.object({ id: z.string().meta({ example: "bert-fixture" }) }) },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: ModelObjectSchema } } },
    ...openAiErrorResponses(400, 401, 404),
  },
});

export function registerModelRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listModels, async (c) => {
    const data = (await usableModels(c)).map((manifest) => modelObject(manifest));
    data.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return c.json({ object: "list" as const, data }, 200);
  });

  app.openapi(retrieveModel, async (c) => {
    const id = c.req.valid("param").id;
    const { name, version } = parseModelReference(id);
    const model = await resolveUsableModel(c, name, version);
    return c.json(modelObject(model.manifest, { id, version: model.version }), 200);
  });
}
