/**
 * Wire schemas shared by the non-OIP routes.
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

/** OpenAPI response entries for the given error statuses. */
export function errorResponses<S extends number>(
  ...statuses: S[]
): Record<S, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }> {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "The API key lacks the scope this route needs",
    404: "Unknown model, version or route",
    409: "Conflicts with the current state",
    413: "Body over the size limit",
    415: "Wrong Content-Type",
    422: "Understood but not acceptable",
    429: "Rate limit or monthly quota reached (Retry-After, RateLimit-* headers)",
    503: "Temporarily unable to serve",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status] ?? "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  ) as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }>;
}
