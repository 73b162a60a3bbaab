/**
 * CORS for the public API (`/v1/*`, `/v2/*`, `/openapi.json`), with Hono's `cors`, so that web pages on any origin
 * can call it with an API key:
 * - preflights are answered here, before authentication: a browser never sends a key with one (Fetch standard,
 *   "CORS-preflight request": no credentials, only the *names* of the headers to come), so a preflight cannot be
 *   about a key and grants nothing by itself; the actual request is checked with its key like any other;
 * - responses expose the headers a page needs (request id, cache status, timings, rate limit and quota, units);
 * - a key bound to web origins (`allowedOrigins`) narrows this: a request made with it from another origin, or
 *   with no Origin, is refused with 403 `origin_not_allowed` before any work and is not charged; that response
 *   carries no `Access-Control-Allow-Origin`, so a page elsewhere can read nothing made with the key, and the
 *   refusal is logged (with the origin, never the key).
 * Admin routes get none of this: the console is served from the Worker's own origin.
 */

import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { RequestIdVariables } from "hono/request-id";
import type { TenantVariables } from "./tenant-key";

/** Response headers a page may read besides the CORS-safelisted ones. */
export const EXPOSED_HEADERS = [
  "X-Request-Id",
  "X-Cache",
  "Server-Timing",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "X-Quota-Limit",
  "X-Quota-Remaining",
  "X-Quota-Reset",
  "X-Units",
  "Retry-After",
  "Idempotent-Replayed",
  "Warning",
  "X-Error-Code",
  "X-Model-Version",
  "Inference-Header-Content-Length",
];

/** Browsers cache a preflight at most this long (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

export function publicCors() {
  const allow = cors({
    origin: (origin) => origin || undefined,
    allowMethods: ["GET", "HEAD", "POST"],
    // unset: the headers a preflight asks for are allowed (the key, not a header, is what authorizes a call)
    allowHeaders: [],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return createMiddleware<{ Variables: RequestIdVariables & Partial<TenantVariables> }>(
    async function publicCors(c, next) {
      const preflight = await allow(c, next);
      if (preflight) return preflight;
      if (c.res.headers.get("X-Error-Code") !== "origin_not_allowed") return;
      c.res.headers.delete("Access-Control-Allow-Origin");
      const line = {
        msg: "refused",
        code: "origin_not_allowed",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        tenant: c.get("tenant")?.tenantId ?? null,
        origin: c.req.header("Origin")?.slice(0, 300) ?? null,
      };
      console.log(JSON.stringify(line));
    },
  );
}
