/**
 * The typed edge-maas client: every route of the Worker's OpenAPI document, as named methods (./public-api.ts,
 * ./admin-api.ts) and as the generated openapi-fetch client (`raw`), with one error type and retries. Plain
 * `fetch`, no Node or Worker APIs: it runs in Node, in browsers and inside a Worker.
 *
 * @example
 * import { createEdgeMaasClient } from "./src/client";
 * const client = createEdgeMaasClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.KEY });
 * const labels = await client.run("lid-176", { text: "Guten Morgen" });
 */
import { adminApi } from "./admin-api";
import { publicApi } from "./public-api";
import { type ClientOptions, createTransport } from "./transport";

export function createEdgeMaasClient(options: ClientOptions) {
  const raw = createTransport(options);
  return { ...publicApi(raw), admin: adminApi(raw), raw };
}

export type EdgeMaasClient = ReturnType<typeof createEdgeMaasClient>;
