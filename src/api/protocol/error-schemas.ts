/**
 * Wire schemas of the error envelopes (src/api/protocol/errors.ts decides which route answers with which).
 */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../../errors";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "Error" });

/** OpenAI's error envelope, on the OpenAI-compatible routes. */
export const OpenAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.enum([
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "rate_limit_error",
        "insufficient_quota",
        "server_error",
      ]),
      param: z.string().nullable().meta({ description: "the request field at fault, when one is" }),
      code: z.string().meta({
        description:
          "OpenAI's code where it has one (`invalid_api_key`, `model_not_found`, `rate_limit_exceeded`, `insufficient_quota`), else edge-maas's (as in `X-Error-Code`)",
      }),
    }),
  })
  .meta({ id: "OpenAiError" });

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request",
  401: "Missing or invalid credentials",
  403: "The API key lacks the scope this route needs",
  404: "Unknown model, version or route",
  409: "Conflicts with the current state",
  413: "Body over the size limit",
  415: "Wrong Content-Type or Content-Encoding",
  422: "Understood but not acceptable",
  429: "Rate limit or monthly quota reached (Retry-After, RateLimit-* headers)",
  503: "Temporarily unable to serve",
};

type ErrorResponses<S extends number, Schema> = Record<
  S,
  { description: string; content: { "application/json": { schema: Schema } } }
>;

function responsesWith<Schema>(schema: Schema) {
  return <S extends number>(...statuses: S[]): ErrorResponses<S, Schema> =>
    Object.fromEntries(
      statuses.map((status) => [
        status,
        { description: DESCRIPTIONS[status] ?? "Error", content: { "application/json": { schema } } },
      ]),
    ) as ErrorResponses<S, Schema>;
}

/** OpenAPI response entries for the given error statuses. */
export const errorResponses = responsesWith(ErrorSchema);
/** The same, in OpenAI's envelope. */
export const openAiErrorResponses = responsesWith(OpenAiErrorSchema);
