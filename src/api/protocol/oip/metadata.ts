/**
 * How OIP describes a model (its metadata document) and the inference request body every route that takes one
 * documents.
 */
import { z } from "@hono/zod-openapi";
import { type Manifest, versionNames } from "../../../registry/manifest";
import type { ResolvedModel } from "../../../registry/registry";
import type { TensorSpec } from "../../../runtime/signature";
import { describeTaskRequest } from "../task-docs";
import { InferRequestSchema, type ModelMetadataSchema } from "./schemas";

/** The inference request body, as documented for every route that takes one. */
export const inferRequestBody = {
  content: {
    "application/json": { schema: InferRequestSchema },
    "application/octet-stream": {
      schema: z.string().meta({
        format: "binary",
        description: "JSON header of Inference-Header-Content-Length bytes, then each binary input in order",
      }),
    },
  },
};

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
