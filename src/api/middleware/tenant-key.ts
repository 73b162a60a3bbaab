/**
 * Resolves `Authorization: Bearer <API key>` to `c.get("tenant")` on tenant routes. Only the cheap, stateless part
 * happens here (shape, hash, owner lookup); the key's status, origin, scopes and limits are checked by the tenant's
 * Durable Object in the same call that meters the request, so a metered request costs one call before its work.
 * With `TENANCY=off` every route is open and `c.get("tenant")` is undefined.
 */
import { createMiddleware } from "hono/factory";
import type { Caller } from "../../tenancy/tenancy";
import { bearerToken } from "./bearer";
import type { ServiceVariables } from "./services";

export type TenantVariables = { tenant: Caller | undefined };

export function tenantKey() {
  return createMiddleware<{ Variables: ServiceVariables & TenantVariables }>(async function tenantKey(c, next) {
    if (c.get("config").tenancy === "off") {
      c.set("tenant", undefined);
      return next();
    }
    const header = c.req.header("Authorization");
    const token = header === undefined ? undefined : (bearerToken(header) ?? "");
    c.set("tenant", await c.get("tenancy").identify(token, c.req.header("Origin") ?? null));
    await next();
  });
}
