/**
 * Admin routes for models: manifests, version uploads (ONNX bytes), aliases and deletion, plus the isolate's
 * runtime state. All under the admin token (see middleware/admin-auth.ts).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../../errors";
import {
  AssetEntrySchema,
  AssetName,
  type Manifest,
  ManifestInputSchema,
  ManifestSchema,
  ModelName,
  OPTIMIZATION_LEVELS,
  OptimizedGraphSchema,
  VersionEntrySchema,
  VersionName,
  versionNames,
} from "../../../registry/manifest";
import { validateTaskConfig } from "../../../tasks/config";
import { TASK_NAMES, taskDefinition } from "../../../tasks/index";
import type { AppEnv } from "../../context";
import { limitBody } from "../../middleware/body-limit";
import { errorResponses } from "../../protocol/error-schemas";
import { jsonResponse, mountWithOwnBody } from "../../protocol/openapi";
import { stageUsers } from "../../serving/stage-users";

const tags = ["Admin: models"];
const security = [{ adminToken: [] }];
const ModelParams = z.object({ model: ModelName });
const VersionParams = ModelParams.extend({ version: VersionName });
const AliasParams = ModelParams.extend({ alias: VersionName });
const AssetParams = ModelParams.extend({ name: AssetName });
const octetStream = {
  required: true,
  content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
} as const;

const ModelSummarySchema = z
  .object({
    name: z.string(),
    task: z.string(),
    description: z.string().optional(),
    visibility: z.enum(["public", "private"]),
    owner: z.string().optional(),
    versions: z.array(z.string()),
    aliases: z.record(z.string(), z.string()),
    traffic: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  })
  .meta({ id: "ModelSummary" });

const AliasTargetSchema = z
  .union([
    z.object({ version: VersionName }).strict(),
    z
      .object({
        weights: z
          .record(VersionName, z.number().int().nonnegative().max(1_000_000))
          .refine((weights) => Object.keys(weights).length > 0 && Object.keys(weights).length <= 16, {
            message: "1 to 16 versions",
          })
          .meta({
            description:
              "version → weight: each request draws a version in proportion (sticky for `X-Routing-Key`, else an `Idempotency-Key`)",
            example: { "1": 90, int8: 10 },
          }),
      })
      .strict(),
  ])
  .meta({ id: "AliasTarget" });

const UploadResultSchema = VersionEntrySchema.extend({
  model: z.string(),
  version: z.string(),
  default: z.boolean().meta({ description: "whether the `default` alias now points at this version" }),
}).meta({ id: "UploadResult" });

/** `?level=` of an optimized graph's upload (the route reads its own body, so the handler checks it). */
const OptimizationLevelQuery = z.enum(OPTIMIZATION_LEVELS);

const OptimizedUploadSchema = z
  .object({ model: z.string(), version: z.string(), optimized: OptimizedGraphSchema })
  .meta({ id: "OptimizedUploadResult" });

/** The manifest an operator uploads: its `task` must be one this server serves (the table in src/tasks/index.ts). */
const ManifestUploadSchema = ManifestInputSchema.extend({
  task: z
    .enum(TASK_NAMES as [string, ...string[]])
    .default("tensor")
    .meta({ description: "`tensor` (OIP tensors in and out) or the task that serves the model on /v1/run" }),
}).meta({ id: "ManifestInput" });

/** A DELETE of part of a manifest, answered with the manifest without it. */
function removal<P extends string, Params extends z.ZodObject>(
  path: P,
  params: Params,
  summary: string,
  description: string,
) {
  return createRoute({
    method: "delete",
    path,
    tags,
    security,
    summary,
    description,
    request: { params },
    responses: { 200: jsonResponse(ManifestSchema, "The manifest without it"), ...errorResponses(400, 401, 404) },
  });
}

/** Registers a removal route: `remove` gets the path's parameters and returns the manifest without what it removed. */
function registerRemoval<Params extends z.ZodObject>(
  app: OpenAPIHono<AppEnv>,
  route: ReturnType<typeof removal<string, Params>>,
  remove: (registry: AppEnv["Variables"]["registry"], params: z.infer<Params>) => Promise<Manifest>,
): void {
  // the route's own validation has checked the parameters
  app.openapi(route, async (c) => c.json(await remove(c.get("registry"), c.req.param() as z.infer<Params>), 200));
}

export function summarize(manifest: Manifest): z.infer<typeof ModelSummarySchema> {
  const { name, task, description, visibility, owner, aliases, traffic } = manifest;
  return { name, task, description, visibility, owner, versions: versionNames(manifest), aliases, traffic };
}

export function registerAdminModelRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/models",
      tags,
      security,
      summary: "List models",
      responses: {
        200: jsonResponse(z.object({ models: z.array(ModelSummarySchema) }), "Every model"),
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ models: (await c.get("registry").list()).map(summarize) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/models/{model}",
      tags,
      security,
      summary: "Get a manifest",
      request: { params: ModelParams },
      responses: { 200: jsonResponse(ManifestSchema, "The manifest"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => c.json(await c.get("registry").get(c.req.valid("param").model), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/models/{model}",
      tags,
      security,
      summary: "Create or update a manifest",
      description: "Descriptive fields only; versions are added by uploading weights. Unknown fields are rejected.",
      middleware: [limitBody((config) => config.maxAdminJsonBytes, "the manifest")] as const,
      request: {
        params: ModelParams,
        body: { required: true, content: { "application/json": { schema: ManifestUploadSchema } } },
      },
      responses: {
        200: jsonResponse(ManifestSchema, "Updated"),
        201: jsonResponse(ManifestSchema, "Created"),
        ...errorResponses(400, 401, 413, 415, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const task = taskDefinition(input.task);
      if (task) validateTaskConfig(task, input);
      const { manifest, created } = await c.get("registry").upsertManifest(c.req.valid("param").model, input);
      return created ? c.json(manifest, 201) : c.json(manifest, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/models/{model}",
      tags,
      security,
      summary: "Delete a model and all its weights",
      request: { params: ModelParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 404) },
    }),
    async (c) => {
      await c.get("registry").deleteModel(c.req.valid("param").model);
      return c.body(null, 204);
    },
  );

  const upload = createRoute({
    method: "put",
    path: "/admin/models/{model}/versions/{version}",
    tags,
    security,
    summary: "Upload a version's ONNX weights",
    description:
      "The body is the .onnx file. It must be a real ONNX model that onnxruntime-web can load; its inputs and outputs are read from it. Versions are immutable: the same bytes again is a no-op (200), other bytes 409. The `default` alias moves to the new version unless `?default=false`.",
    request: {
      params: VersionParams,
      query: z.object({ default: z.enum(["true", "false"]).optional() }),
      body: octetStream,
    },
    responses: {
      200: jsonResponse(UploadResultSchema, "Already stored"),
      201: jsonResponse(UploadResultSchema, "Stored"),
      ...errorResponses(400, 401, 404, 409, 413, 415, 422),
    },
  });
  mountWithOwnBody(app, upload, uploadVersion, { maxBytes: (config) => config.maxModelBytes, what: "the model" });

  const optimized = createRoute({
    method: "put",
    path: "/admin/models/{model}/versions/{version}/optimized",
    tags,
    security,
    summary: "Upload a version's graph optimized ahead of time",
    description:
      "The body is the version's .onnx graph optimized by onnxruntime-node (`optimizedModelFilePath`) at the `level` the query names: `basic` (the default; hardware-independent rewrites) or `extended` (also fusions into the CPU execution provider's kernels, such as a convolution with its activation, which onnxruntime-web runs as well). `edge-maas models push` and the seeding of bundled models write the `extended` graph and fall back to `basic` when the server refuses it. It passes every check an upload does, and must load in the Worker's onnxruntime-web, then must have the same inputs and outputs (names, datatypes, shapes) as the version's graph and give the same outputs on generated inputs (floats within 1e-4 + 1e-3 × |value|); otherwise 422 `optimized_graph_differs` names the difference and nothing is stored. The version's sessions are then created from it with optimizations off, which makes a cold session faster; the uploaded graph stays stored. The same graph again is a no-op (200); another replaces it (201).",
    request: {
      params: VersionParams,
      query: z.object({ level: OptimizationLevelQuery.optional() }),
      body: octetStream,
    },
    responses: {
      200: jsonResponse(OptimizedUploadSchema, "Already stored"),
      201: jsonResponse(OptimizedUploadSchema, "Stored"),
      ...errorResponses(400, 401, 404, 413, 415, 422),
    },
  });
  mountWithOwnBody(app, optimized, uploadOptimized, {
    maxBytes: (config) => config.maxModelBytes,
    what: "the optimized graph",
  });

  registerRemoval(
    app,
    removal(
      "/admin/models/{model}/versions/{version}/optimized",
      VersionParams,
      "Drop a version's optimized graph",
      "The version's sessions are created from its uploaded graph again (at the full optimization level). 404 `optimized_graph_not_found` when it has none.",
    ),
    (registry, { model, version }) => registry.deleteOptimized(model, version),
  );

  const asset = createRoute({
    method: "put",
    path: "/admin/models/{model}/assets/{name}",
    tags,
    security,
    summary: "Upload an asset (tokenizer.json, a vocabulary...)",
    description:
      "Files a task needs beside the weights, named by the manifest's `preprocess`/`postprocess`. Upload them before the version: each version pins the assets present when it is uploaded, so replacing an asset affects only versions uploaded afterwards.",
    request: { params: AssetParams, body: octetStream },
    responses: {
      200: jsonResponse(AssetEntrySchema.extend({ model: z.string(), name: z.string() }), "Stored"),
      ...errorResponses(400, 401, 404, 413, 415),
    },
  });
  mountWithOwnBody(app, asset, uploadAsset, { maxBytes: (config) => config.maxModelBytes, what: "the asset" });

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/models/{model}/versions/{version}",
      tags,
      security,
      summary: "Delete a version",
      description:
        "Refused (409 `alias_in_use`) while an alias points at it and other versions remain, and (409 `version_in_use`) while a pipeline (an OCR model's classifier or recognizer) names it, directly or through an alias, as one of its stages.",
      request: { params: VersionParams },
      responses: {
        200: jsonResponse(ManifestSchema, "The manifest without it"),
        ...errorResponses(400, 401, 404, 409),
      },
    }),
    async (c) => {
      const { model, version } = c.req.valid("param");
      const registry = c.get("registry");
      const users = await stageUsers(registry, model, version);
      if (users.length > 0)
        throw new AppError(
          "version_in_use",
          `version '${version}' of '${model}' is a stage of ${users.join(", ")}; change those manifests first`,
        );
      return c.json(await registry.deleteVersion(model, version), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/models/{model}/aliases/{alias}",
      tags,
      security,
      summary: "Delete an alias",
      description:
        "Requests naming the alias get 404 afterwards. `default` cannot be deleted (409): it is what the model answers without a version; point it elsewhere instead.",
      request: { params: AliasParams },
      responses: {
        200: jsonResponse(ManifestSchema, "The manifest without it"),
        ...errorResponses(400, 401, 404, 409),
      },
    }),
    async (c) => {
      const { model, alias } = c.req.valid("param");
      return c.json(await c.get("registry").deleteAlias(model, alias), 200);
    },
  );

  registerRemoval(
    app,
    removal(
      "/admin/models/{model}/assets/{name}",
      AssetParams,
      "Delete an asset",
      "Removes it from the model's current assets: versions uploaded afterwards no longer pin it. Versions that pinned it keep it (their answers never change), so its bytes stay stored until no version refers to them.",
    ),
    (registry, { model, name }) => registry.deleteAsset(model, name),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/admin/models/{model}/aliases/{alias}",
      tags,
      security,
      summary: "Point an alias (e.g. default) at a version, or split its traffic between versions by weight",
      description:
        '`{"version": "int8"}` points the alias at one version; `{"weights": {"1": 90, "int8": 10}}` makes it a canary split, drawn per request. Isolates other than the one answering see the change on their next manifest refresh (MANIFEST_CACHE_MS).',
      middleware: [limitBody((config) => config.maxAdminJsonBytes, "the alias")] as const,
      request: {
        params: AliasParams,
        body: { required: true, content: { "application/json": { schema: AliasTargetSchema } } },
      },
      responses: {
        200: jsonResponse(ManifestSchema, "The updated manifest"),
        ...errorResponses(400, 401, 404, 409, 415),
      },
    }),
    async (c) => {
      const { model, alias } = c.req.valid("param");
      const body = c.req.valid("json");
      const target = "version" in body ? body.version : body.weights;
      return c.json(await c.get("registry").setAlias(model, alias, target), 200);
    },
  );
}

async function uploadAsset(c: Context<AppEnv>): Promise<Response> {
  const model = ModelName.safeParse(c.req.param("model"));
  const name = AssetName.safeParse(c.req.param("name"));
  if (!model.success || !name.success) throw new AppError("invalid_request", "invalid model or asset name");
  const bytes = await octetStreamBody(c, "the asset");
  const { entry } = await c.get("registry").putAsset(model.data, name.data, bytes);
  return c.json({ model: model.data, name: name.data, ...entry }, 200);
}

async function octetStreamBody(c: Context<AppEnv>, what: string): Promise<Uint8Array> {
  const type = c.req.header("Content-Type") ?? "";
  if (!/^application\/octet-stream\b/i.test(type)) {
    throw new AppError(
      "unsupported_media_type",
      `upload ${what} with 'Content-Type: application/octet-stream' (got '${type || "none"}')`,
    );
  }
  return new Uint8Array(await c.req.arrayBuffer());
}

/** The model and version of a graph upload's path, and its body (an .onnx file). */
async function graphUpload(c: Context<AppEnv>, what: string) {
  const model = ModelName.safeParse(c.req.param("model"));
  const version = VersionName.safeParse(c.req.param("version"));
  if (!model.success || !version.success) throw new AppError("invalid_request", "invalid model or version name");
  const bytes = await octetStreamBody(c, what);
  if (bytes.byteLength === 0) throw new AppError("invalid_model", "the upload is empty");
  return { model: model.data, version: version.data, bytes };
}

async function uploadVersion(c: Context<AppEnv>): Promise<Response> {
  const { model, version, bytes } = await graphUpload(c, "the .onnx file");
  const makeDefault = c.req.query("default") !== "false";
  const { manifest, entry, created } = await c.get("registry").addVersion(model, version, bytes, { makeDefault });
  const body = { model, version, default: manifest.aliases.default === version, ...entry };
  return c.json(body, created ? 201 : 200);
}

async function uploadOptimized(c: Context<AppEnv>): Promise<Response> {
  // read first: a refusal sent while the client still sends its body can be overtaken by the connection's reset
  const { model, version, bytes } = await graphUpload(c, "the optimized .onnx graph");
  const level = OptimizationLevelQuery.safeParse(c.req.query("level") ?? "basic");
  if (!level.success)
    throw new AppError(
      "invalid_request",
      `level must be one of ${OPTIMIZATION_LEVELS.join(", ")}, got '${c.req.query("level")}'`,
      { param: "level" },
    );
  const { optimized, created } = await c.get("registry").addOptimized(model, version, bytes, level.data);
  return c.json({ model, version, optimized }, created ? 201 : 200);
}
