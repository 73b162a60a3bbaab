/**
 * Tenant-facing discovery and usage: the models this key may use, and the tenant's own usage ledger.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../../errors";
import { own } from "../../../lookup";
import { type Manifest, versionNames } from "../../../registry/manifest";
import { parseUsageQuery } from "../../../tenancy/usage-query";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";
import { describeTaskRequest } from "../../protocol/task-docs";
import { UsageQuerySchema, UsageReportSchema } from "../../protocol/tenancy-schemas";
import { visibleTo } from "../../serving/model-access";

const tags = ["Account"];
const security = [{ apiKey: [] }];

const TensorSchema = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });
const ModelListingSchema = z
  .object({
    name: z.string(),
    task: z.string(),
    description: z.string().optional(),
    versions: z.array(z.string()),
    defaultVersion: z.string().optional(),
    inputs: z.array(TensorSchema).meta({ description: "of the default version" }),
    outputs: z.array(TensorSchema),
    request: z
      .object({
        contentTypes: z.array(z.string()),
        schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema of the JSON body" }),
      })
      .optional()
      .meta({ description: "how to call POST /v1/run/{model}: the content types it takes and the JSON form's schema" }),
  })
  .meta({ id: "ModelListing" });

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      tags,
      security,
      summary: "Models this key may use",
      responses: {
        200: {
          description: "Models",
          content: { "application/json": { schema: z.object({ models: z.array(ModelListingSchema) }) } },
        },
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ models: (await usableModels(c)).map(listing) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/usage",
      tags,
      security,
      summary: "This tenant's usage",
      description: "Needs the `usage:read` scope.",
      request: { query: UsageQuerySchema },
      responses: {
        200: {
          description: "Committed usage grouped by time, model and key",
          content: { "application/json": { schema: UsageReportSchema } },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const query = parseUsageQuery(c.req.valid("query"));
      const caller = c.get("tenant");
      if (!caller) throw new AppError("not_found", "usage is only recorded when TENANCY is 'required'");
      await c.get("tenancy").authorize(caller, "usage:read");
      return c.json(await c.get("tenancy").usage(caller.tenantId, query), 200);
    },
  );
}

async function usableModels(c: Context<AppEnv>): Promise<Manifest[]> {
  const manifests = await c.get("registry").list();
  const caller = c.get("tenant");
  if (!caller) return manifests;
  const { scopes } = await c.get("tenancy").authorize(caller, "*");
  return manifests.filter(
    (m) =>
      visibleTo(m, caller.tenantId, c.get("config").tenancy) &&
      (scopes.includes("infer") || scopes.includes(`infer:${m.name}`)),
  );
}

function listing(manifest: Manifest): z.infer<typeof ModelListingSchema> {
  const defaultVersion = manifest.aliases.default;
  const entry = defaultVersion ? own(manifest.versions, defaultVersion) : undefined;
  const tensors = (specs: { name: string; datatype: string; shape: number[] | null }[] = []) =>
    specs.map((s) => ({ name: s.name, datatype: s.datatype, shape: s.shape ?? [-1] }));
  return {
    name: manifest.name,
    task: manifest.task,
    description: manifest.description,
    versions: versionNames(manifest),
    defaultVersion,
    inputs: tensors(entry?.inputs),
    outputs: tensors(entry?.outputs),
    request: describeTaskRequest(manifest.task),
  };
}
