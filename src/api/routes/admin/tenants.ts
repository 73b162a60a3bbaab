/**
 * Admin routes for tenants and their API keys, and a tenant's usage. All under the admin token.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  KeyInputSchema,
  KeyPatchSchema,
  KeyRotationSchema,
  TenantInputSchema,
  TenantPatchSchema,
} from "../../../tenancy/schemas";
import { parseUsageQuery } from "../../../tenancy/usage-query";
import type { AppEnv } from "../../context";
import { limitBody } from "../../middleware/body-limit";
import { errorResponses } from "../../protocol/error-schemas";
import { jsonBody, jsonResponse } from "../../protocol/openapi";
import {
  CreatedKeySchema,
  DeletedTenantSchema,
  KeySchema,
  RefundInputSchema,
  RotatedKeySchema,
  TenantSchema,
  UnsettledChargeSchema,
  UsageQuerySchema,
  UsageReportSchema,
} from "../../protocol/tenancy-schemas";

const tags = ["Admin: tenants"];
const security = [{ adminToken: [] }];
const TenantParams = z.object({ id: z.string().meta({ example: "ten_3f9a0c…" }) });
const KeyParams = z.object({ keyId: z.string().meta({ example: "key_8b2e41…" }) });
const smallJson = limitBody((config) => config.maxAdminJsonBytes, "the request");

export function registerAdminTenantRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/tenants",
      tags,
      security,
      summary: "Create a tenant",
      middleware: smallJson,
      request: { body: jsonBody(TenantInputSchema) },
      responses: { 201: jsonResponse(TenantSchema, "Created"), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => c.json(await c.get("tenancy").createTenant(c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/tenants",
      tags,
      security,
      summary: "List tenants",
      responses: {
        200: jsonResponse(
          z.object({ tenants: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string() })) }),
          "Every tenant",
        ),
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ tenants: await c.get("tenancy").listTenants() }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/tenants/{id}",
      tags,
      security,
      summary: "Get a tenant",
      request: { params: TenantParams },
      responses: { 200: jsonResponse(TenantSchema, "The tenant"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await c.get("tenancy").getTenant(c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/admin/tenants/{id}",
      tags,
      security,
      summary: "Change a tenant's name, limits or metering mode",
      description:
        "Takes effect on the next request in exact metering; in leased metering within the lease TTL (1 s), when the leases isolates hold run out.",
      middleware: smallJson,
      request: { params: TenantParams, body: jsonBody(TenantPatchSchema) },
      responses: { 200: jsonResponse(TenantSchema, "Updated"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => c.json(await c.get("tenancy").updateTenant(c.req.valid("param").id, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/tenants/{id}",
      tags,
      security,
      summary: "Delete a tenant and its keys",
      description:
        "Every key of the tenant is revoked at once (exact metering: from the next request; leased: within the lease TTL of 1 s, as any revocation) and the tenant disappears from every route. Its usage ledger is exported in the response (every charged request, by day and by model and key) so the last month can still be billed; no route reads it afterwards.",
      request: { params: TenantParams },
      responses: {
        200: jsonResponse(DeletedTenantSchema, "Deleted: the tenant, its (now revoked) keys and its usage"),
        ...errorResponses(401, 404),
      },
    }),
    async (c) => c.json(await c.get("tenancy").deleteTenant(c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/tenants/{id}/keys",
      tags,
      security,
      summary: "Create an API key",
      description: "The response holds the plaintext key; it is shown once and never stored (only its SHA-256).",
      middleware: smallJson,
      request: { params: TenantParams, body: jsonBody(KeyInputSchema) },
      responses: { 201: jsonResponse(CreatedKeySchema, "Created"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => c.json(await c.get("tenancy").createKey(c.req.valid("param").id, c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/tenants/{id}/keys",
      tags,
      security,
      summary: "List a tenant's API keys",
      request: { params: TenantParams },
      responses: {
        200: jsonResponse(z.object({ keys: z.array(KeySchema) }), "Keys (never their plaintext)"),
        ...errorResponses(401, 404),
      },
    }),
    async (c) => c.json({ keys: await c.get("tenancy").listKeys(c.req.valid("param").id) }, 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/admin/keys/{keyId}",
      tags,
      security,
      summary: "Revoke an API key",
      description: "Takes effect on the very next request.",
      request: { params: KeyParams },
      responses: { 200: jsonResponse(KeySchema, "Revoked"), ...errorResponses(401, 404) },
    }),
    async (c) => c.json(await c.get("tenancy").revokeKey(c.req.valid("param").keyId), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/admin/keys/{keyId}",
      tags,
      security,
      summary: "Change an API key's name, scopes, allowed origins, expiry or rate limit",
      description:
        "`requestsPerMinute` gives the key its own token bucket under the tenant's (a request needs a token from both; keys with one are always admitted by the tenant's Durable Object, in either metering mode). `allowedOrigins: null` unbinds the key from web origins. Takes effect on the next request in exact metering, within the lease TTL (1 s) in leased metering.",
      middleware: smallJson,
      request: { params: KeyParams, body: jsonBody(KeyPatchSchema) },
      responses: { 200: jsonResponse(KeySchema, "Updated"), ...errorResponses(400, 401, 404, 413, 415) },
    }),
    async (c) => c.json(await c.get("tenancy").updateKey(c.req.valid("param").keyId, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/keys/{keyId}/rotate",
      tags,
      security,
      summary: "Rotate an API key",
      description:
        "Creates a new key with the old one's name, scopes, expiry and rate limit; its plaintext is in the response, once. The old secret keeps working for the grace period (default one day, at most a week), then expires; `gracePeriodSeconds: 0` revokes it at once. Usage of both is the tenant's.",
      middleware: smallJson,
      request: { params: KeyParams, body: jsonBody(KeyRotationSchema) },
      responses: {
        201: jsonResponse(RotatedKeySchema, "The new key, and the old one with its new expiry"),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) =>
      c.json(await c.get("tenancy").rotateKey(c.req.valid("param").keyId, c.req.valid("json").gracePeriodSeconds), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/tenants/{id}/usage",
      tags,
      security,
      summary: "A tenant's usage",
      request: { params: TenantParams, query: UsageQuerySchema },
      responses: {
        200: jsonResponse(UsageReportSchema, "Committed usage grouped by time, model and key"),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) =>
      c.json(await c.get("tenancy").usage(c.req.valid("param").id, parseUsageQuery(c.req.valid("query"))), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/tenants/{id}/unsettled",
      tags,
      security,
      summary: "A tenant's unsettled charges",
      description:
        "Charges made because their settlement never arrived: an exact reservation whose Worker died, or what a " +
        "lease's isolate never reported. They count against the quota until refunded. Newest first, at most 1000.",
      request: { params: TenantParams },
      responses: {
        200: jsonResponse(z.object({ charges: z.array(UnsettledChargeSchema) }), "Unsettled charges"),
        ...errorResponses(401, 404),
      },
    }),
    async (c) => c.json({ charges: await c.get("tenancy").unsettled(c.req.valid("param").id) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/tenants/{id}/refunds",
      tags,
      security,
      summary: "Refund an unsettled charge",
      description: "Its units go back to the month's quota; the ledger keeps the line as `refunded`.",
      middleware: smallJson,
      request: { params: TenantParams, body: jsonBody(RefundInputSchema) },
      responses: {
        200: jsonResponse(z.object({ refunded: z.string() }), "Refunded"),
        ...errorResponses(400, 401, 404, 409, 413, 415),
      },
    }),
    async (c) => {
      const { eventId, reason } = c.req.valid("json");
      await c.get("tenancy").refund(c.req.valid("param").id, eventId, reason ?? "refunded by an operator");
      return c.json({ refunded: eventId }, 200);
    },
  );
}
