/**
 * Open Inference Protocol V2 model routes: metadata, readiness and inference, each with and without
 * `/versions/{version}` (a version name or an alias; `default` when absent).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type Manifest, versionNames } from "../../registry/manifest";
import type { ResolvedModel } from "../../registry/registry";
import type { TensorSpec } from "../../runtime/signature";
import type { AppEnv } from "../context";
import { limitBody } from "../middleware/body-limit";
import { authorize, resolveModel } from "../model-access";
import { describeTaskRequest } from "../task-docs";
import { inferHandler } from "./infer";
import {
  InferRequestSchema,
  InferResponseSchema,
  ModelMetadataSchema,
  ModelReadySchema,
  OipErrorSchema,
} from "./schemas";

const ModelParams = z.object({ model: z.string().meta({ example: "silero-vad" }) });
const VersionParams = ModelParams.extend({ version: z.string().meta({ example: "1" }) });

const oipErrors = {
  400: {
    description: "Malformed request, or tensors that do not fit the model",
    content: { "application/json": { schema: OipErrorSchema } },
  },
  404: { description: "Unknown model or version", content: { "application/json": { schema: OipErrorSchema } } },
};

/** The inference request body, as documented for every route that takes one. */
export const inferRequestBody = {
  content: {
    "application/json": { schema: InferRequestSchema },
    "application/octet-stream": {
      schema: z
        .string()
        .meta({
          format: "binary",
          description: "JSON header of Inference-Header-Content-Length bytes, then each binary input in order",
        }),
    },
  },
};

const PATHS = [
  { suffix: "", params: ModelParams },
  { suffix: "/versions/{version}", params: VersionParams },
] as const;

export function registerOipModelRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const { suffix, params } of PATHS) {
    const base = `/v2/models/{model}${suffix}`;

    app.openapi(
      createRoute({
        method: "get",
        path: base,
        tags: ["Open Inference Protocol"],
        summary: "Model metadata",
        request: { params },
        responses: {
          200: {
            description: "Inputs and outputs with datatypes and shapes",
            content: { "application/json": { schema: ModelMetadataSchema } },
          },
          ...oipErrors,
        },
      }),
      async (c) => {
        await authorize(c, "infer", c.req.param("model"));
        return c.json(modelMetadata(await resolveModel(c)), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: `${base}/ready`,
        tags: ["Open Inference Protocol"],
        summary: "Model readiness",
        request: { params },
        responses: {
          200: {
            description: "Whether the model can serve requests",
            content: { "application/json": { schema: ModelReadySchema } },
          },
          ...oipErrors,
        },
      }),
      async (c) => {
        await authorize(c, "infer", c.req.param("model"));
        const model = await resolveModel(c);
        return c.json(
          {
            name: model.manifest.name,
            ready: true,
            version: model.version,
            loaded: c.get("runtime").has(model.entry.sha256),
          },
          200,
        );
      },
    );

    const infer = createRoute({
      method: "post",
      path: `${base}/infer`,
      tags: ["Open Inference Protocol"],
      summary: "Run inference",
      description:
        "JSON tensors, or the binary tensor data extension: a JSON header of `Inference-Header-Content-Length` bytes followed by each input's bytes (little-endian, row-major) in order.",
      request: {
        params,
        body: inferRequestBody,
      },
      responses: {
        200: {
          description: "Output tensors (binary outputs follow the JSON header)",
          content: {
            "application/json": { schema: InferResponseSchema },
            "application/octet-stream": { schema: z.string().meta({ format: "binary" }) },
          },
        },
        ...oipErrors,
        413: {
          description: "Body, tensor or batch over the limit",
          content: { "application/json": { schema: OipErrorSchema } },
        },
        415: {
          description: "Neither JSON nor the binary extension",
          content: { "application/json": { schema: OipErrorSchema } },
        },
      },
    });
    // Documented from the route schema, decoded by the codec: the binary extension is not JSON, and JSON bodies
    // are validated envelope-first so limits apply before tensor data is converted.
    app.openAPIRegistry.registerPath(infer);
    app.post(
      infer.path.replace(/{(\w+)}/g, ":$1"),
      limitBody((config) => config.maxRequestBytes, "the inference request"),
      inferHandler,
    );
  }
}

export function modelMetadata(model: ResolvedModel): z.infer<typeof ModelMetadataSchema> {
  const describe = (spec: TensorSpec) => ({ name: spec.name, datatype: spec.datatype, shape: spec.shape ?? [-1] });
  return {
    name: model.manifest.name,
    versions: versionNames(model.manifest),
    platform: "onnxruntime_onnx",
    inputs: model.entry.inputs.map(describe),
    outputs: model.entry.outputs.map(describe),
    parameters: {
      task: model.manifest.task,
      version: model.version,
      aliases: model.manifest.aliases,
      ...publicFields(model.manifest),
      task_request: describeTaskRequest(model.manifest.task),
    },
  };
}

function publicFields(manifest: Manifest): Record<string, unknown> {
  return manifest.description ? { description: manifest.description } : {};
}
