/**
 * JSON Schemas transcribed from the Open Inference Protocol's REST specification (kserve/open-inference-protocol,
 * specification/protocol/open_inference_rest.yaml and inference_rest.md), Triton's binary tensor data extension
 * (triton-inference-server/server docs/protocol/extension_binary_data.md) and its model repository extension
 * (extension_model_repository.md): written from those documents, never from this server's code, so responses are
 * checked against what the protocol says.
 *
 * Where the two spec documents differ, the stricter reading is kept: inference_rest.md's `$parameter` values are
 * string, number or boolean (the YAML only says "object"); model metadata `inputs`/`outputs` are required (the md
 * lists them without #optional). Where the spec is plainly mistyped, the evident intent is transcribed and noted:
 * the md's `$ready_server_response` says `"live"` (a copy of the liveness object; KServe and Triton answer
 * `"ready"`), and the YAML's model metadata has a `properties` field of strings where parameters are meant.
 */

/** "Tensor Data Types": the datatype names and element sizes in bytes (BYTES: variable, length-prefixed). */
export const DATATYPE_SIZES = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: undefined,
} as const;
export type SpecDatatype = keyof typeof DATATYPE_SIZES;

/** "Platforms": the platform names the spec allows. */
export const PLATFORMS = [
  "tensorrt_plan",
  "tensorflow_graphdef",
  "tensorflow_savedmodel",
  "onnx_onnxv1",
  "pytorch_torchscript",
  "mxnet_mxnet",
  "caffe2_netdef",
];

const datatype = { type: "string", enum: Object.keys(DATATYPE_SIZES) };
/** "Each dimension must be an integer representable as an unsigned 64-bit integer" (requests, responses). */
const shape = { type: "array", items: { type: "integer", minimum: 0 } };
/**
 * `$request_input` and `$response_output` have the same fields; the binary extension lets an input or output carry
 * `parameters.binary_data_size` in place of `data`.
 */
const TENSOR = {
  type: "object",
  properties: {
    name: { type: "string" },
    shape,
    datatype,
    parameters: { $ref: "#/definitions/parameters" },
    data: { $ref: "#/definitions/tensor_data" },
  },
  required: ["name", "shape", "datatype"],
  anyOf: [{ required: ["data"] }, { $ref: "#/definitions/binary_tensor" }],
};
const error = { type: "object", properties: { error: { type: "string" } }, required: ["error"] };

export const OIP_SCHEMAS = {
  $id: "oip",
  definitions: {
    // $parameters = { $parameter, ... }; $parameter = $string : $string | $number | $boolean
    parameters: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
    tensor_data: {
      type: "array",
      items: { anyOf: [{ $ref: "#/definitions/tensor_data" }, { type: ["number", "string", "boolean"] }] },
    },
    metadata_server_response: {
      type: "object",
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        extensions: { type: "array", items: { type: "string" } },
      },
      required: ["name", "version", "extensions"],
    },
    metadata_server_error_response: error,
    live_server_response: { type: "object", properties: { live: { type: "boolean" } }, required: ["live"] },
    ready_server_response: { type: "object", properties: { ready: { type: "boolean" } }, required: ["ready"] },
    ready_model_response: {
      type: "object",
      properties: { name: { type: "string" }, ready: { type: "boolean" } },
      required: ["name", "ready"],
    },
    metadata_tensor: {
      type: "object",
      // metadata shapes may hold -1 for variable-size dimensions
      properties: {
        name: { type: "string" },
        datatype,
        shape: { type: "array", items: { type: "integer", minimum: -1 } },
      },
      required: ["name", "datatype", "shape"],
    },
    metadata_model_response: {
      type: "object",
      properties: {
        name: { type: "string" },
        versions: { type: "array", items: { type: "string" } },
        platform: { type: "string", enum: PLATFORMS },
        inputs: { type: "array", items: { $ref: "#/definitions/metadata_tensor" } },
        outputs: { type: "array", items: { $ref: "#/definitions/metadata_tensor" } },
        parameters: { $ref: "#/definitions/parameters" },
      },
      required: ["name", "platform", "inputs", "outputs"],
    },
    metadata_model_error_response: error,
    request_input: TENSOR,
    request_output: {
      type: "object",
      properties: { name: { type: "string" }, parameters: { $ref: "#/definitions/parameters" } },
      required: ["name"],
    },
    inference_request: {
      type: "object",
      properties: {
        id: { type: "string" },
        parameters: { $ref: "#/definitions/parameters" },
        inputs: { type: "array", items: { $ref: "#/definitions/request_input" } },
        outputs: { type: "array", items: { $ref: "#/definitions/request_output" } },
      },
      required: ["inputs"],
    },
    binary_tensor: {
      required: ["parameters"],
      properties: {
        data: false,
        parameters: {
          required: ["binary_data_size"],
          properties: { binary_data_size: { type: "integer", minimum: 0 } },
        },
      },
    },
    response_output: TENSOR,
    inference_response: {
      type: "object",
      properties: {
        model_name: { type: "string" },
        model_version: { type: "string" },
        id: { type: "string" },
        parameters: { $ref: "#/definitions/parameters" },
        outputs: { type: "array", items: { $ref: "#/definitions/response_output" } },
      },
      required: ["model_name", "outputs"],
    },
    inference_error_response: error,
    // Triton's model repository extension
    repository_index_response: {
      type: "array",
      // name, version (#optional), state, reason: all $string
      items: {
        type: "object",
        properties: Object.fromEntries(
          ["name", "version", "state", "reason"].map((field) => [field, { type: "string" }]),
        ),
        required: ["name", "state", "reason"],
      },
    },
    repository_index_error_response: error,
  },
} as const;

export type OipSchemaName = keyof typeof OIP_SCHEMAS.definitions;
