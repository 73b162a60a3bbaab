/**
 * Open Inference Protocol V2 model routes: metadata, readiness and inference, each with and without
 * `/versions/{version}` (a version name or an alias; `default` when absent).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../context";
import { inferRequestBody, modelMetadata } from "../../protocol/oip/metadata";
import { InferResponseSchema, ModelMetadataSchema, ModelReadySchema, OipErrorSchema } from "../../protocol/oip/schemas";
import { jsonResponse, mountWithOwnBody } from "../../protocol/openapi";
import { serveInference } from "../../serving/inference";
import { authorize, resolveModel } from "../../serving/model-access";
import { readAhead } from "../../serving/read-ahead";

const ModelParams = z.object({ model: z.string().meta({ example: "silero-vad" }) });
const VersionParams = ModelParams.extend({ version: z.string().meta({ example: "1" }) });

const tags = ["Open Inference Protocol"];
/** Every model route needs a tenant's API key (the `tenantKey` middleware on `/v2/models/*`). */
const security = [{ apiKey: [] }];
const oipError = (description: string) => jsonResponse(OipErrorSchema, description);
const oipErrors = {
  400: oipError("Malformed request, or tensors that do not fit the model"),
  401: oipError("Missing or invalid API key"),
  403: oipError("The API key lacks the scope this model needs"),
  404: oipError("Unknown model or version"),
};

const METADATA = jsonResponse(ModelMetadataSchema, "Inputs and outputs with datatypes and shapes");
const READY = jsonResponse(ModelReadySchema, "Whether the model can serve requests");

const PATHS = [
  { suffix: "", params: ModelParams },
  { suffix: "/versions/{version}", params: VersionParams },
] as const;

export function registerOipModelRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const { suffix, params } of PATHS) {
    const base = `/v2/models/{model}${suffix}`;

    app.openapi(modelQuery(base, params, "Model metadata", METADATA), async (c) => {
      await authorize(c, "infer", c.req.param("model"));
      return c.json(modelMetadata(await resolveModel(c)), 200);
    });

    app.openapi(modelQuery(`${base}/ready`, params, "Model readiness", READY), async (c) => {
      await authorize(c, "infer", c.req.param("model"));
      const model = await resolveModel(c);
      return c.json(
        {
          name: model.manifest.name,
          ready: true,
          version: model.version,
          loaded: c.get("runtime").has(model.source.digest),
        },
        200,
      );
    });

    const infer = createRoute({
      method: "post",
      path: `${base}/infer`,
      tags,
      security,
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
        413: oipError("Body, tensor, batch or JSON output over the limit"),
        415: oipError("Neither JSON nor the binary extension"),
        429: oipError("Rate limit or monthly quota reached (Retry-After, RateLimit-* headers)"),
        503: oipError("Temporarily unable to serve (Retry-After)"),
      },
    });
    // Documented from the route schema, decoded by the codec: the binary extension is not JSON, and JSON bodies
    // are validated envelope-first so limits apply before tensor data is converted.
    mountWithOwnBody(app, infer, inferHandler, { what: "the inference request" });
  }
}

async function inferHandler(c: Context<AppEnv>): Promise<Response> {
  readAhead(c); // onnxruntime starts while the manifest is read
  return serveInference(c, await resolveModel(c));
}

/** A GET about one model (metadata, readiness) with one JSON answer. */
function modelQuery<R extends ReturnType<typeof jsonResponse>>(
  path: string,
  params: (typeof PATHS)[number]["params"],
  summary: string,
  ok: R,
) {
  return createRoute({
    method: "get",
    path,
    tags,
    security,
    summary,
    request: { params },
    responses: { 200: ok, ...oipErrors },
  });
}
