/**
 * How OIP describes a model (its metadata document) and the inference request body every route that takes one
 * documents. Metadata `parameters` hold only string, number and boolean values, as the spec's `$parameters` allow;
 * the task's request and answer schemas are on `GET /v1/models/{id}`.
 */
import { z } from "@hono/zod-openapi";
import { versionNames } from "../../../registry/manifest";
import type { ResolvedModel } from "../../../registry/registry";
import type { TensorSpec } from "../../../runtime/signature";
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
    // the spec's name for "an ONNX model encoded for ONNX Runtime" (Triton says onnxruntime_onnx)
    platform: "onnx_onnxv1",
    inputs: model.entry.inputs.map(describe),
    outputs: model.entry.outputs.map(describe),
    parameters: {
      task: model.manifest.task,
      version: model.version,
      ...(model.manifest.description ? { description: model.manifest.description } : {}),
    },
  };
}
