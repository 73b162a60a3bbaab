/**
 * The routes an application calls: discovery and health, Open Inference Protocol tensors (typed arrays in and out,
 * JSON or binary), tasks (`/v1/run/{model}`), OpenAI-shaped embeddings and models, and the tenant's own usage.
 */
import { errorFromResponse } from "./errors";
import type { components, paths } from "./generated/openapi";
import { binaryInferBody, decodeInferResponse, type InferRequest, type InferResult, jsonInferBody } from "./tensors";
import { type CallOptions, callHeaders, type MeteredCallOptions, type RawClient, unwrap } from "./transport";

type Schemas = components["schemas"];
type RunPost = paths["/v1/run/{model}"]["post"];
/** A task request as JSON: text, features, an image's or a WAV file's bytes, or OIP tensors. */
export type RunInput = RunPost["requestBody"]["content"]["application/json"];
/** What a task answers: labels, vectors, text lines, speech segments, values. */
export type RunOutput = RunPost["responses"][200]["content"]["application/json"];
/** A file as the body of a task request (`image/png`, `image/jpeg`, `audio/wav`). */
export interface RunFile {
  body: Uint8Array | ArrayBuffer | Blob;
  contentType: "image/png" | "image/jpeg" | "audio/wav" | "audio/x-wav" | "audio/wave";
}
export type UsageQuery = NonNullable<paths["/v1/usage"]["get"]["parameters"]["query"]>;

export type InferOptions = MeteredCallOptions & {
  /** A version or an alias (`default` when absent). */
  version?: string;
  /** Binary tensors (default) or JSON ones. */
  binary?: boolean;
};

export type RunOptions = MeteredCallOptions & {
  /** Task options sent in the query string (`top_k`, voice-activity thresholds...). */
  query?: Record<string, string | number | boolean>;
};

const identity = (body: unknown) => body;

export function publicApi(raw: RawClient) {
  const version = (model: string, versionName?: string) => ({ path: { model, version: versionName ?? "default" } });
  return {
    /** `GET /`: name, version, where the OpenAPI document is. */
    info: (options?: CallOptions) => unwrap(raw.GET("/", options)),
    /** `GET /openapi.json`. */
    openapi: (options?: CallOptions) => unwrap(raw.GET("/openapi.json", options)),
    /** `GET /v2`: OIP server metadata and extensions. */
    serverMetadata: (options?: CallOptions) => unwrap(raw.GET("/v2", options)),
    /** `GET /v2/`, the same document (the spec writes it with the slash). */
    serverMetadataSlash: (options?: CallOptions) => unwrap(raw.GET("/v2/", options)),
    /** `GET /v2/health/live`. */
    live: (options?: CallOptions) => unwrap(raw.GET("/v2/health/live", options)),
    /** `GET /v2/health/ready`. */
    ready: (options?: CallOptions) => unwrap(raw.GET("/v2/health/ready", options)),

    oip: {
      /** `GET /v2/models/{model}[/versions/{version}]`: inputs, outputs, versions. */
      metadata: (model: string, options: CallOptions & { version?: string } = {}) =>
        options.version === undefined
          ? unwrap(raw.GET("/v2/models/{model}", { ...options, params: { path: { model } } }))
          : unwrap(
              raw.GET("/v2/models/{model}/versions/{version}", { ...options, params: version(model, options.version) }),
            ),
      /** `GET /v2/models/{model}[/versions/{version}]/ready`. */
      ready: (model: string, options: CallOptions & { version?: string } = {}) =>
        options.version === undefined
          ? unwrap(raw.GET("/v2/models/{model}/ready", { ...options, params: { path: { model } } }))
          : unwrap(
              raw.GET("/v2/models/{model}/versions/{version}/ready", {
                ...options,
                params: version(model, options.version),
              }),
            ),
      /**
       * `POST /v2/models/{model}[/versions/{version}]/infer`: typed arrays in, typed arrays out.
       *
       * @example
       * const { byName } = await client.oip.infer("silero-vad", { inputs: [
       *   { name: "input", shape: [1, 512], data: new Float32Array(512) },
       *   { name: "state", shape: [2, 1, 128], data: new Float32Array(256) },
       *   { name: "sr", shape: [], data: new BigInt64Array([16000n]) }] });
       * byName.output.data; // Float32Array
       */
      infer: (model: string, request: InferRequest, options: InferOptions = {}) => infer(raw, model, request, options),
      /** `POST /v2/repository/index`: every version this key may call (Triton's repository extension). */
      repositoryIndex: (body: Schemas["RepositoryIndexRequest"] = {}, options?: CallOptions) =>
        unwrap(raw.POST("/v2/repository/index", { ...options, body })),
      /** `POST /v2/repository/models/{model}/load`: always refused (models load on first use). */
      load: (model: string, options?: CallOptions) =>
        unwrap(raw.POST("/v2/repository/models/{model}/load", { ...options, params: { path: { model } } })),
      /** `POST /v2/repository/models/{model}/unload`: always refused (models are removed through the admin API). */
      unload: (model: string, options?: CallOptions) =>
        unwrap(raw.POST("/v2/repository/models/{model}/unload", { ...options, params: { path: { model } } })),
    },

    /**
     * `POST /v1/run/{model}`: the model's task on text, features, an image or audio.
     *
     * @example
     * await client.run("lid-176", { text: "Guten Morgen" });                              // [{label, score}, ...]
     * await client.run("mnist-digits", { body: png, contentType: "image/png" }, { query: { top_k: 3 } });
     */
    run: <T = RunOutput>(model: string, input: RunInput | RunFile, options: RunOptions = {}): Promise<T> => {
      const file = isRunFile(input) ? input : undefined;
      return unwrap(
        raw.POST("/v1/run/{model}", {
          signal: options.signal,
          params: { path: { model }, query: options.query } as never,
          headers: { ...callHeaders(options), ...(file ? { "Content-Type": file.contentType } : {}) },
          body: (file ? file.body : input) as never,
          ...(file ? { bodySerializer: identity } : {}),
        }),
      ) as Promise<T>;
    },

    embeddings: {
      /** `POST /v1/embeddings`, as OpenAI's API. */
      create: (body: Schemas["EmbeddingsRequest"], options: MeteredCallOptions = {}) =>
        unwrap(raw.POST("/v1/embeddings", { signal: options.signal, headers: callHeaders(options), body })),
    },

    models: {
      /** `GET /v1/models`: the models this key may call, in OpenAI's list shape. */
      list: (options?: CallOptions) => unwrap(raw.GET("/v1/models", options)),
      /** `GET /v1/models/{id}`: one model (`name` or `name@version`) with its task, versions and schemas. */
      retrieve: (id: string, options?: CallOptions) =>
        unwrap(raw.GET("/v1/models/{id}", { ...options, params: { path: { id } } })),
    },

    /** `GET /v1/usage`: this key's tenant's usage (scope `usage:read`). */
    usage: (query: UsageQuery = {}, options?: CallOptions) =>
      unwrap(raw.GET("/v1/usage", { ...options, params: { query } })),
  };
}

function isRunFile(input: RunInput | RunFile): input is RunFile {
  return typeof input === "object" && input !== null && "contentType" in input && "body" in input;
}

async function infer(raw: RawClient, model: string, request: InferRequest, options: InferOptions) {
  const binary = options.binary ?? true;
  const encoded = binary ? binaryInferBody(request) : undefined;
  const headers: Record<string, string> = callHeaders(options);
  if (encoded) {
    headers["Content-Type"] = "application/octet-stream";
    headers["Inference-Header-Content-Length"] = String(encoded.headerLength);
  }
  const init = {
    signal: options.signal,
    headers,
    body: (encoded ? encoded.body : jsonInferBody(request)) as never,
    ...(encoded ? { bodySerializer: identity } : {}),
    parseAs: "arrayBuffer" as const,
  };
  const { data, error, response } =
    options.version === undefined
      ? await raw.POST("/v2/models/{model}/infer", { ...init, params: { path: { model } } })
      : await raw.POST("/v2/models/{model}/versions/{version}/infer", {
          ...init,
          params: { path: { model, version: options.version } },
        });
  if (!response.ok) throw errorFromResponse(response, error);
  const length = response.headers.get("Inference-Header-Content-Length");
  return decodeInferResponse(new Uint8Array(data as ArrayBuffer), length === null ? undefined : Number(length));
}

export type { InferRequest, InferResult };
