/**
 * Open Inference Protocol (KServe V2) REST wire types, after kserve/open-inference-protocol
 * `specification/protocol/inference_rest.md` and its binary tensor data extension.
 */
import { z } from "@hono/zod-openapi";
import { DATATYPES } from "../../../runtime/datatypes";

/** `$parameters`: names to string, number or boolean values. */
const ParametersSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const OipErrorSchema = z.object({ error: z.string() }).meta({ id: "OipError" });

export const ServerMetadataSchema = z
  .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
  .meta({ id: "ServerMetadata" });

export const LiveSchema = z.object({ live: z.boolean() }).meta({ id: "ServerLive" });
export const ReadySchema = z.object({ ready: z.boolean() }).meta({ id: "ServerReady" });
export const ModelReadySchema = z
  .object({
    name: z.string(),
    ready: z.boolean(),
    version: z.string().optional(),
    loaded: z.boolean().optional().meta({ description: "a session for this version is warm in the answering isolate" }),
  })
  .meta({ id: "ModelReady" });

const MetadataTensorSchema = z
  .object({
    name: z.string(),
    datatype: z.enum(DATATYPES),
    shape: z.array(z.number().int()).meta({ description: "-1 for dynamic dimensions" }),
  })
  .meta({ id: "MetadataTensor" });

export const ModelMetadataSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.literal("onnx_onnxv1"),
    inputs: z.array(MetadataTensorSchema),
    outputs: z.array(MetadataTensorSchema),
    parameters: ParametersSchema.optional().meta({
      description: "edge-maas extras: task, the version described, description (schemas: GET /v1/models/{id})",
    }),
  })
  .meta({ id: "ModelMetadata" });

const RequestInputSchema = z
  .object({
    name: z.string().min(1),
    shape: z.array(
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
    ),
    datatype: z.string().meta({ description: `one of ${DATATYPES.join(", ")}` }),
    parameters: ParametersSchema.optional().meta({
      description: "binary_data_size: bytes of this tensor after the JSON header",
    }),
    data: z
      .unknown()
      .optional()
      .meta({ description: "row-major elements, flat or nested; absent when sent as binary" }),
  })
  .meta({ id: "InferRequestInput" });

const RequestOutputSchema = z
  .object({
    name: z.string().min(1),
    parameters: ParametersSchema.optional().meta({ description: "binary_data: true to receive this output as binary" }),
  })
  .meta({ id: "InferRequestOutput" });

export const InferRequestSchema = z
  .object({
    id: z.string().optional(),
    parameters: ParametersSchema.optional().meta({
      description: "binary_data_output: true to receive every output as binary",
    }),
    inputs: z.array(RequestInputSchema).min(1),
    outputs: z.array(RequestOutputSchema).optional(),
  })
  .meta({ id: "InferRequest" });

export const InferResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string().optional().meta({ description: "the request's id, when it had one" }),
    parameters: ParametersSchema.optional(),
    outputs: z.array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int()),
        datatype: z.enum(DATATYPES),
        parameters: ParametersSchema.optional(),
        data: z.array(z.union([z.number(), z.boolean(), z.string()])).optional(),
      }),
    ),
  })
  .meta({ id: "InferResponse" });

export type InferRequestBody = z.infer<typeof InferRequestSchema>;

/** Triton's model repository extension: `POST /v2/repository/index` (`$repository_index_request`). */
export const RepositoryIndexRequestSchema = z
  .object({ ready: z.boolean().optional().meta({ description: "only models ready for inference (all of them are)" }) })
  .meta({ id: "RepositoryIndexRequest" });

/** `$repository_index_response`: one entry per model version. */
export const RepositoryIndexSchema = z
  .array(
    z.object({
      name: z.string(),
      version: z.string(),
      state: z.literal("READY").meta({ description: "models load on first use, so every version is ready" }),
      reason: z.string(),
    }),
  )
  .meta({ id: "RepositoryIndex" });
