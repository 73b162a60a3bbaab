/**
 * Wraps the work of an inference route with the KV response cache. Routes opt in by describing what decides
 * their output (model version, task, options, canonical input bytes); the wrapper does the rest: `Cache-Control:
 * no-cache` (skip the read, still write) and `no-store` (neither), `X-Cache: HIT|MISS|BYPASS`, `Age` on hits,
 * and single flight for identical misses. Metering sees `X-Cache: HIT` and records the request as a cache hit.
 */
import type { Context } from "hono";
import { endTime, startTime } from "hono/timing";
import { cacheKey } from "../../cache/cache-key";
import type { CacheGate, CacheMode } from "../../cache/response-cache";
import type { ResolvedModel } from "../../registry/registry";
import type { AppEnv } from "../context";

export interface CacheSpec {
  model: ResolvedModel;
  /** `oip` or the task name: the shape of the response. */
  task: string;
  options: unknown;
  inputs: Uint8Array[];
}

export const DEFAULT_CACHE_TTL_SECONDS = 86_400;

/** Headers that describe one exchange, not the response's content: never stored, never replayed by a hit. */
const PER_REQUEST_HEADERS = new Set(["x-request-id", "server-timing", "date", "content-length"]);

export async function cachedResponse(
  c: Context<AppEnv>,
  spec: CacheSpec,
  gate: CacheGate,
  work: () => Promise<Response>,
): Promise<Response> {
  const { manifest, entry } = spec.model;
  const ttlSeconds = manifest.cache?.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
  const mode = cacheMode(c.req.header("Cache-Control"));
  if (ttlSeconds <= 0 || mode === "no-store") {
    await gate.admit();
    const response = await work();
    response.headers.set("X-Cache", "BYPASS");
    return response;
  }
  // Entries are the caller's tenant's own: a shared hit would tell one tenant what another asked (a membership
  // oracle on their inputs). Only an operator's `cache.scope: "shared"` on a public model lifts that.
  const shared = manifest.cache?.scope === "shared" && manifest.visibility !== "private";
  const tenantId = shared ? undefined : (c.get("tenant")?.tenantId ?? manifest.owner ?? "");
  startTime(c, "cache");
  const key = await cacheKey({
    model: manifest.name,
    weights: entry.sha256,
    task: spec.task,
    options: spec.options,
    inputs: spec.inputs,
    tenantId,
  });
  const result = await c.get("cache").serve(key, ttlSeconds, mode, gate, async () => {
    endTime(c, "cache");
    const response = await work();
    const headers = [...response.headers.entries()].filter(([name]) => !PER_REQUEST_HEADERS.has(name.toLowerCase()));
    return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
  });
  if (result.cache === "HIT") endTime(c, "cache");
  const headers = new Headers(result.headers);
  headers.set("X-Cache", result.cache);
  if (result.age !== undefined) headers.set("Age", String(result.age));
  return new Response(result.body, { status: result.status, headers });
}

function cacheMode(header: string | undefined): CacheMode {
  const directives = (header ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  if (directives.includes("no-store")) return "no-store";
  if (directives.includes("no-cache")) return "no-cache";
  return "normal";
}
