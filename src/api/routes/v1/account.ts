/**
 * The tenant's own usage ledger (the models it may use are listed by ./models.ts).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "../../../errors";
import { parseUsageQuery } from "../../../tenancy/usage-query";
import type { AppEnv } from "../../context";
import { errorResponses } from "../../protocol/error-schemas";
import { UsageQuerySchema, UsageReportSchema } from "../../protocol/tenancy-schemas";

const tags = ["Account"];
const security = [{ apiKey: [] }];

export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/usage",
      tags,
      security,
      summary: "This tenant's usage",
      description: "Needs the `usage:read` scope.",
      request: { query: UsageQuerySchema },
      responses: {
        200: {
          description: "Committed usage grouped by time, model and key",
          content: { "application/json": { schema: UsageReportSchema } },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const query = parseUsageQuery(c.req.valid("query"));
      const caller = c.get("tenant");
      if (!caller) throw new AppError("not_found", "usage is only recorded when TENANCY is 'required'");
      await c.get("tenancy").authorize(caller, "usage:read");
      return c.json(await c.get("tenancy").usage(caller.tenantId, query), 200);
    },
  );
}
