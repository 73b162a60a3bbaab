/**
 * Triton's statistics extension: `GET /v2/models/stats` (every model this key may use), `GET
 * /v2/models/{model}/stats` (every version of one) and `GET /v2/models/{model}/versions/{version}/stats` (a version
 * or an alias). A key reads the statistics of the models it may call, as the protocol's other model routes do.
 * Registered before the model routes: `stats` is read as this route, not as a model's name.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { own } from "../../../lookup";
import { type Manifest, versionNames } from "../../../registry/manifest";
import type { AppEnv } from "../../context";
import { OipErrorSchema } from "../../protocol/oip/schemas";
import { type ModelStat, ModelStatsResponseSchema, modelStat } from "../../protocol/oip/statistics";
import { readTotals } from "../../serving/metrics-reading";
import { authorize, resolveUsableModel, usableModels } from "../../serving/model-access";

const tags = ["Open Inference Protocol"];
const security = [{ apiKey: [] }];
const oipError = (description: string) => ({
  description,
  content: { "application/json": { schema: OipErrorSchema } },
});
const ok = {
  description: "Statistics per model version",
  content: { "application/json": { schema: ModelStatsResponseSchema } },
};
const ModelParams = z.object({ model: z.string().meta({ example: "silero-vad" }) });

export function registerOipStatisticsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/models/stats",
      tags,
      security,
      summary: "Statistics of every model this key may use (Triton's statistics extension)",
      responses: { 200: ok, 401: oipError("Missing or invalid API key") },
    }),
    async (c) => c.json({ model_stats: await stats(c, await usableModels(c)) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/models/{model}/stats",
      tags,
      security,
      summary: "Statistics of every version of a model",
      request: { params: ModelParams },
      responses: { 200: ok, 401: oipError("Missing or invalid API key"), 404: oipError("Unknown model") },
    }),
    async (c) => {
      await authorize(c, "infer", c.req.param("model"));
      const { manifest } = await resolveUsableModel(c, c.req.param("model"));
      return c.json({ model_stats: await stats(c, [manifest]) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/models/{model}/versions/{version}/stats",
      tags,
      security,
      summary: "Statistics of one version (or the version an alias names)",
      request: { params: ModelParams.extend({ version: z.string().meta({ example: "1" }) }) },
      responses: { 200: ok, 401: oipError("Missing or invalid API key"), 404: oipError("Unknown model or version") },
    }),
    async (c) => {
      await authorize(c, "infer", c.req.param("model"));
      const { manifest, version } = await resolveUsableModel(c, c.req.param("model"), c.req.param("version"));
      return c.json({ model_stats: await stats(c, [manifest], version) }, 200);
    },
  );
}

/** Every version of each manifest (or the one given), zeros for those that served nothing yet. */
async function stats(c: Context<AppEnv>, manifests: readonly Manifest[], only?: string): Promise<ModelStat[]> {
  const totals = await readTotals(
    c,
    manifests.map((m) => m.name),
  );
  return manifests.flatMap((manifest, i) => {
    const served = new Map(totals[i]!.versions.map((v) => [v.version, v.aggregate]));
    const versions = only === undefined ? versionNames(manifest) : [only];
    return versions
      .filter((version) => own(manifest.versions, version))
      .map((version) => modelStat(manifest.name, version, served.get(version)));
  });
}
