/**
 * What operators send to create and change tenants and keys (strict: unknown fields are rejected), and the
 * records the tenant's Durable Object returns.
 */
import { z } from "zod";
import { MAX_ALLOWED_ORIGINS, originEntryProblem } from "./origins";

export const SCOPE = /^(infer|usage:read|infer:[a-z0-9][a-z0-9._-]{0,63})$/;
export const Scope = z.string().regex(SCOPE, "'infer', 'usage:read' or 'infer:{model}'").meta({ example: "infer" });

export const LimitsSchema = z
  .strictObject({
    requestsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .meta({ description: "Token bucket: capacity and refill per minute" }),
    monthlyUnits: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .meta({ description: "Units per calendar month (UTC)" }),
  })
  .meta({ id: "TenantLimits" });

export const MeteringSchema = z.enum(["exact", "leased"]).meta({
  id: "MeteringMode",
  description:
    "`exact`: every metered request is admitted by the tenant's Durable Object (one blocking round trip); " +
    "`leased`: isolates admit from short leases of quota and rate tokens (no round trip on warm requests; " +
    "revocations and limit changes take effect within the lease TTL of 1 s)",
});

export const TenantInputSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    limits: LimitsSchema,
    metering: MeteringSchema.default("exact"),
  })
  .meta({ id: "TenantInput" });

export const TenantPatchSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    limits: LimitsSchema.partial().optional(),
    metering: MeteringSchema.optional(),
  })
  .meta({ id: "TenantPatch" });

export const OriginEntry = z
  .string()
  .superRefine((entry, ctx) => {
    const problem = originEntryProblem(entry);
    if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(entry.slice(0, 80))} ${problem}` });
  })
  .meta({ example: "https://*.shop.example" });

export const AllowedOriginsSchema = z
  .array(OriginEntry)
  .min(1)
  .max(MAX_ALLOWED_ORIGINS)
  .meta({
    id: "AllowedOrigins",
    description:
      "Binds the key to web pages: a request made with it must carry one of these `Origin`s (exact, or " +
      "`https://*.domain` for its subdomains), or it is refused with 403 `origin_not_allowed` and not charged. " +
      "For keys that live in browsers; a request without an Origin (a server, curl) is refused too.",
    example: ["https://shop.example", "https://*.shop.example"],
  });

const KeyRequestsPerMinute = z.number().int().min(1).max(1_000_000).meta({
  description:
    "The key's own token bucket (capacity and refill per minute), under the tenant's: a request needs a token from both",
});

export const KeyInputSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    scopes: z.array(Scope).min(1).max(64).default(["infer", "usage:read"]),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: "RFC 3339; the key stops working at this instant" }),
    allowedOrigins: AllowedOriginsSchema.optional(),
    requestsPerMinute: KeyRequestsPerMinute.optional(),
  })
  .meta({ id: "KeyInput" });

export const KeyPatchSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    scopes: z.array(Scope).min(1).max(64).optional(),
    allowedOrigins: AllowedOriginsSchema.nullable()
      .optional()
      .meta({ description: "`null` unbinds the key (any origin, or none)" }),
    expiresAt: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .meta({ description: "RFC 3339, or `null` for a key that never expires" }),
    requestsPerMinute: KeyRequestsPerMinute.nullable()
      .optional()
      .meta({ description: "The key's own rate limit, or `null` for none (the tenant's alone)" }),
  })
  .meta({ id: "KeyPatch" });

/** Longest grace period a rotated key keeps working: a week. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

export const KeyRotationSchema = z
  .strictObject({
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_ROTATION_GRACE_SECONDS)
      .default(DEFAULT_ROTATION_GRACE_SECONDS)
      .meta({ description: "How long the old secret keeps working (default 86400: one day; at most a week; 0: none)" }),
  })
  .meta({ id: "KeyRotation" });

export type Limits = z.infer<typeof LimitsSchema>;
export type MeteringMode = z.infer<typeof MeteringSchema>;
export type TenantInput = z.infer<typeof TenantInputSchema>;
export type TenantPatch = z.infer<typeof TenantPatchSchema>;
export type KeyInput = z.infer<typeof KeyInputSchema>;
export type KeyPatch = z.infer<typeof KeyPatchSchema>;

export interface Tenant {
  id: string;
  name: string;
  limits: Limits;
  metering: MeteringMode;
  createdAt: string;
}

export interface KeyRecord {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: string[];
  /** `null`: the key is not bound to web origins. */
  allowedOrigins: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The key's own rate limit (requests per minute), under the tenant's; `null`: the tenant's alone. */
  requestsPerMinute: number | null;
}
