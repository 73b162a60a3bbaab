/**
 * Wire schemas of the tenancy routes (admin and tenant-facing), documented in the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { LimitsSchema } from "../../tenancy/schemas";

export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), limits: LimitsSchema, createdAt: z.string() })
  .meta({ id: "Tenant" });

export const KeySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: "The key's first characters, for recognising it; never the key" }),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().meta({ description: "Updated at most once a minute" }),
  })
  .meta({ id: "ApiKey" });

export const CreatedKeySchema = KeySchema.extend({
  key: z.string().meta({ description: "The plaintext key: shown once, never stored" }),
}).meta({ id: "CreatedApiKey" });

export const UsageQuerySchema = z.object({
  from: z.string().optional().meta({ description: "RFC 3339 date or date-time (default: start of this UTC month)" }),
  to: z.string().optional().meta({ description: "RFC 3339 date or date-time, exclusive (default: now)" }),
  granularity: z.enum(["hour", "day"]).optional().meta({ description: "default: day" }),
});

export const UsageReportSchema = z
  .object({
    tenantId: z.string(),
    from: z.string(),
    to: z.string(),
    granularity: z.enum(["hour", "day"]),
    rows: z.array(
      z.object({
        start: z.string(),
        model: z.string(),
        keyId: z.string(),
        requests: z.number().int(),
        units: z.number().int(),
        cachedRequests: z.number().int(),
        cachedUnits: z.number().int(),
      }),
    ),
    totals: z.object({
      requests: z.number().int(),
      units: z.number().int(),
      cachedRequests: z.number().int(),
      cachedUnits: z.number().int(),
    }),
    month: z.object({
      month: z.string(),
      committedUnits: z.number().int(),
      reservedUnits: z.number().int(),
      limit: z.number().int(),
    }),
  })
  .meta({ id: "UsageReport" });
