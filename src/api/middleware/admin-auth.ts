/**
 * Guards `/admin/*` with `Authorization: Bearer <ADMIN_TOKEN>`. During a rotation `ADMIN_TOKEN_NEXT` is accepted
 * too (docs/api.md, "Rotating the admin token"). Tokens are compared in constant time: both sides are hashed first
 * so their lengths never leak through `timingSafeEqual`, and both candidates are always compared.
 */
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";
import { bearerToken } from "./bearer";

export function adminAuth() {
  return createMiddleware<{ Bindings: Env }>(async function adminAuth(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw new AppError("admin_not_configured", "the ADMIN_TOKEN secret is not set on this server");
    const given = bearerToken(c.req.header("Authorization"));
    if (!given) throw new AppError("unauthorized", "admin routes need 'Authorization: Bearer <ADMIN_TOKEN>'");
    const nextToken = c.env.ADMIN_TOKEN_NEXT;
    const [current, upcoming] = await Promise.all([
      sameSecret(given, expected),
      nextToken ? sameSecret(given, nextToken) : Promise.resolve(false),
    ]);
    if (!current && !upcoming) throw new AppError("unauthorized", "the admin token is not valid");
    await next();
  });
}

async function sameSecret(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
