/**
 * What the models served, for operators (admin token): `GET /metrics` in Prometheus's text format, a model's
 * time series as JSON for charts, and two versions side by side (a canary against its stable version).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../../errors";
import { own } from "../../../lookup";
import { emptyAggregate } from "../../../monitoring/aggregate";
import { labelDistance, summarize } from "../../../monitoring/summary";
import { ModelName, VersionName } from "../../../registry/manifest";
import type { AppEnv } from "../../context";
import { UNRESOLVED } from "../../middleware/observe";
import { errorResponses } from "../../protocol/error-schemas";
import { exposition, PROMETHEUS_CONTENT_TYPE } from "../../protocol/prometheus";
import { parseWindow, readSeries, readTotals, readWindow } from "../../serving/metrics-reading";

const tags = ["Admin: metrics"];
const security = [{ adminToken: [] }];

const WindowQuery = z.object({
  from: z
    .string()
    .optional()
    .meta({ description: "RFC 3339; default: an hour before `to`", example: "2026-05-01T12:00:00Z" }),
  to: z.string().optional().meta({ description: "RFC 3339; default: now" }),
});

const SummarySchema = z
  .object({
    requests: z.number().int(),
    errors: z.number().int().meta({ description: "answered with a 4xx or 5xx" }),
    errorRate: z.number().nullable(),
    serverErrors: z.number().int().meta({ description: "answered with a 5xx" }),
    latencyMs: z
      .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
      .meta({ description: "estimated from the latency histogram, linear within a bucket (as Prometheus does)" }),
    cacheHits: z.number().int(),
    cacheRatio: z.number().nullable().meta({ description: "cache hits over successful requests" }),
    units: z.number(),
    coldStarts: z.number().int(),
    labels: z
      .record(z.string(), z.number())
      .optional()
      .meta({ description: "classifiers: share of each top-1 label among items answered by running the model" }),
    meanConfidence: z.number().nullable().optional().meta({ description: "classifiers: mean top-1 score" }),
  })
  .meta({ id: "MetricsSummary" });

const CompareSchema = z
  .object({
    model: z.string(),
    from: z.string(),
    to: z.string(),
    a: SummarySchema.extend({ version: z.string() }),
    b: SummarySchema.extend({ version: z.string() }),
    labelDistance: z.number().nullable().meta({
      description:
        "classifiers: total variation distance between the two versions' top-1 label shares (0 same, 1 disjoint)",
    }),
  })
  .meta({ id: "VersionComparison" });

const SeriesSchema = z
  .object({
    model: z.string(),
    from: z.string(),
    to: z.string(),
    stepSeconds: z.number().int(),
    versions: z.array(
      z.object({
        version: z.string(),
        points: z.array(SummarySchema.extend({ start: z.string().meta({ description: "start of the step" }) })),
      }),
    ),
  })
  .meta({ id: "MetricsSeries" });

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export function registerAdminMetricsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags,
      security,
      summary: "Prometheus metrics of every model and version",
      description:
        'Text exposition format 0.0.4: `edge_maas_requests_total{model,version,status,code}`, cache hits, units, session runs, cold starts, `edge_maas_request_duration_seconds` and `edge_maas_inference_duration_seconds` histograms, session memory. Requests that failed before naming a known model are counted under `model="-"`.',
      responses: {
        200: { description: "The metrics", content: { "text/plain": { schema: z.string() } } },
        ...errorResponses(401),
      },
    }),
    async (c) => {
      const models = [...(await c.get("registry").list()).map((m) => m.name), UNRESOLVED];
      const shards = await readTotals(c, models);
      const rows = shards.flatMap(({ model, versions }) => versions.map((v) => ({ model, ...v })));
      const batches = Object.fromEntries(shards.map(({ model, batches }) => [model, batches]));
      return c.text(exposition(rows, batches), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/models/{model}/metrics",
      tags,
      security,
      summary: "A model's metrics over time, per version (JSON, for charts)",
      request: {
        params: z.object({ model: ModelName }),
        query: WindowQuery.extend({
          step: z.string().optional().meta({ description: "seconds per point, a multiple of 60 (default 60)" }),
        }),
      },
      responses: { 200: json(SeriesSchema, "One point per step with traffic"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { model } = c.req.valid("param");
      await c.get("registry").get(model);
      const window = parseWindow(c.req.valid("query"), true);
      const versions = (await readSeries(c, model, window)).map(({ version, points }) => ({
        version,
        points: points.map(({ start, aggregate }) => ({ start: iso(start), ...summarize(aggregate) })),
      }));
      return c.json(
        { model, from: iso(window.from), to: iso(window.to), stepSeconds: window.step / 1000, versions },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/models/{model}/compare",
      tags,
      security,
      summary: "Two versions side by side over a window",
      description:
        "Requests, error rate, p50/p95/p99 latency, cache ratio and, for classifiers, the share of each top-1 label, the mean confidence and how far the two label distributions are apart: a first drift signal for a canary.",
      request: {
        params: z.object({ model: ModelName }),
        query: WindowQuery.extend({ a: VersionName, b: VersionName }),
      },
      responses: { 200: json(CompareSchema, "The two versions"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      const { model } = c.req.valid("param");
      const { a, b, ...range } = c.req.valid("query");
      const manifest = await c.get("registry").get(model);
      for (const version of [a, b])
        if (!own(manifest.versions, version))
          throw new AppError("version_not_found", `model '${model}' has no version '${version}'`);
      const window = parseWindow(range, false);
      const served = await readWindow(c, model, window);
      const side = (version: string) => ({
        version,
        ...summarize(served.find((v) => v.version === version)?.aggregate ?? emptyAggregate()),
      });
      const [left, right] = [side(a), side(b)];
      const distance = left.labels && right.labels ? labelDistance(left.labels, right.labels) : null;
      return c.json(
        { model, from: iso(window.from), to: iso(window.to), a: left, b: right, labelDistance: distance },
        200,
      );
    },
  );
}

const iso = (ms: number) => new Date(ms).toISOString();
