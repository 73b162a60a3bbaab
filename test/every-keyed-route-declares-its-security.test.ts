/**
 * Regression: the OpenAPI document declared no `security` on the `/v2/models/*` operations although they need an
 * API key, so generated clients sent none. Every operation of the document is called without credentials: those
 * that answer 401 must declare a security scheme, those that answer without one must declare none, and the scheme
 * declared is the one the route takes (a tenant's key is no admin token and the admin token is no tenant key).
 */
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, anonymous, createKey, createTenant, json, withKey } from "./support/worker";

interface Operation {
  method: string;
  path: string;
  security?: Record<string, string[]>[];
}

async function operations(): Promise<{ list: Operation[]; schemes: string[] }> {
  const document = await json(anonymous("/openapi.json"));
  const list = Object.entries(
    document.paths as Record<string, Record<string, { security?: Operation["security"] }>>,
  ).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      // placeholders are enough: credentials are checked before the route looks at its parameters
      path: template.replace(/{\w+}/g, "probe"),
      security: operation.security,
    })),
  );
  return { list, schemes: Object.keys(document.components?.securitySchemes ?? {}) };
}

const request = (operation: Operation): RequestInit => ({
  method: operation.method,
  ...(["GET", "HEAD", "DELETE"].includes(operation.method)
    ? {}
    : { headers: { "Content-Type": "application/json" }, body: "{}" }),
});

const declared = (operation: Operation): string[] => (operation.security ?? []).flatMap((entry) => Object.keys(entry));

describe("OpenAPI security", () => {
  it("every route that refuses a call without credentials declares a security scheme, and only those", async () => {
    const { list, schemes } = await operations();
    expect(schemes.sort()).toEqual(["adminToken", "apiKey"]);
    const wrong: string[] = [];
    for (const operation of list) {
      const response = await anonymous(operation.path, request(operation));
      const needsCredentials = response.status === 401;
      if (needsCredentials !== declared(operation).length > 0)
        wrong.push(`${operation.method} ${operation.path}: ${response.status}, declares [${declared(operation)}]`);
    }
    expect(wrong).toEqual([]);
    expect(list.filter((operation) => declared(operation).length > 0).length).toBeGreaterThan(20);
  });

  it("the declared scheme is the one the route takes: admin routes refuse a tenant key, tenant routes the admin token", async () => {
    const tenant = await createTenant({ name: "security", limits: { requestsPerMinute: 100, monthlyUnits: 100 } });
    const { key } = await createKey(tenant.id);
    const wrong: string[] = [];
    for (const operation of (await operations()).list) {
      const schemes = declared(operation);
      if (schemes.length === 0) continue;
      const other = schemes.includes("adminToken") ? key : ADMIN_TOKEN;
      const response = await withKey(other, operation.path, request(operation));
      if (response.status !== 401) wrong.push(`${operation.method} ${operation.path} [${schemes}]: ${response.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
