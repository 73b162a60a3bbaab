/**
 * Wire schemas of the tenancy routes (admin and tenant-facing), documented in the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { LimitsSchema, MeteringSchema } from "../../tenancy/schemas";

export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), limits: LimitsSchema, metering: MeteringSchema, createdAt: z.string() })
  .meta({ id: "Tenant" });

export const KeySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: "The key's first characters, for recognising it; never the key" }),
    scopes: z.array(z.string()),
    allowedOrigins: z
      .array(z.string())
      .nullable()
      .meta({ description: "The web origins the key may be used from; `null`: not bound to origins" }),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().meta({ description: "Updated at most once a minute" }),
    requestsPerMinute: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The key's own rate limit, under the tenant's; null: the tenant's alone" }),
  })
  .meta({ id: "ApiKey" });

export const CreatedKeySchema = KeySchema.extend({
  key: z.string().meta({ description: "The plaintext key: shown once, never stored" }),
}).meta({ id: "CreatedApiKey" });

export const RotatedKeySchema = CreatedKeySchema.extend({
  previous: KeySchema.meta({ description: "The old key: its `expiresAt` is now the end of the grace period" }),
}).meta({ id: "RotatedApiKey" });

export const UsageQuerySchema = z.object({
  from: z.string().optional().meta({ description: "RFC 3339 date or date-time (default: start of this UTC month)" }),
  to: z.string().optional().meta({ description: "RFC 3339 date or date-time, exclusive (default: now)" }),
  granularity: z.enum(["hour", "day"]).optional().meta({ description: "default: day" }),
});

const UsageCounts = {
  requests: z.number().int(),
  units: z.number().int(),
  cachedRequests: z.number().int(),
  cachedUnits: z.number().int(),
  unsettledRequests: z.number().int().meta({
    description: "Charges made because their settlement never arrived (a Worker died after admitting them); refundable",
  }),
  unsettledUnits: z.number().int(),
};

export const UsageReportSchema = z
  .object({
    tenantId: z.string(),
    from: z.string(),
    to: z.string(),
    granularity: z.enum(["hour", "day"]),
    rows: z.array(
      z.object({
        start: z.string(),
        model: z.string().meta({ description: "`*` for what a lease's holder never reported" }),
        version: z.string().meta({ description: "the version that served the requests (canary splits apart)" }),
        keyId: z.string(),
        ...UsageCounts,
      }),
    ),
    totals: z.object(UsageCounts),
    month: z.object({
      month: z.string(),
      committedUnits: z.number().int(),
      reservedUnits: z.number().int().meta({ description: "Admitted, not settled yet: running requests and leases" }),
      leasedUnits: z.number().int().meta({ description: "The part of reservedUnits held in leases by isolates" }),
      unsettledUnits: z.number().int().meta({ description: "The part of committedUnits charged unsettled" }),
      limit: z.number().int(),
    }),
  })
  .meta({ id: "UsageReport" });

export const UnsettledChargeSchema = z
  .object({
    id: z.string(),
    keyId: z.string().meta({ description: "`*` for what a lease's holder never reported" }),
    model: z.string(),
    version: z.string(),
    units: z.number().int(),
    createdAt: z.string(),
    reason: z.string(),
  })
  .meta({ id: "UnsettledCharge" });

export const RefundInputSchema = z
  .strictObject({
    eventId: z.string().min(1).max(200).meta({ description: "The id of an unsettled charge" }),
    reason: z.string().max(500).optional().meta({ description: "Kept in the ledger" }),
  })
  .meta({ id: "RefundInput" });

export const DeletedTenantSchema = z
  .object({
    tenant: TenantSchema,
    keys: z.array(KeySchema).meta({ description: "Its keys, all revoked" }),
    usage: UsageReportSchema.meta({ description: "Its whole usage ledger, by day, model and key" }),
  })
  .meta({ id: "DeletedTenant" });
