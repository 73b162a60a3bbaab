/**
 * Puts the domain services on `c.var`: configuration, the model registry (per request, over the R2 binding)
 * the isolate's session pool (one per isolate, created on first use, never at global scope), tenancy and the
 * response cache.
 */
import { createMiddleware } from "hono/factory";
import { ResponseCache } from "../../cache/response-cache";
import { type Config, readConfig } from "../../config";
import { ModelRegistry } from "../../registry/registry";
import { SessionPool } from "../../runtime/session-pool";
import { Tenancy } from "../../tenancy/tenancy";

export type ServiceVariables = {
  config: Config;
  registry: ModelRegistry;
  runtime: SessionPool;
  tenancy: Tenancy;
  cache: ResponseCache;
};

let pool: SessionPool | undefined;

export function services() {
  return createMiddleware<{ Bindings: Env; Variables: ServiceVariables }>(async function services(c, next) {
    const config = readConfig(c.env);
    pool ??= new SessionPool(config.sessionBudgetBytes, {
      maxQueuedRuns: config.maxQueuedRuns,
      heapCeilingBytes: config.heapCeilingBytes,
    });
    c.set("config", config);
    c.set(
      "registry",
      new ModelRegistry(c.env.MODELS, config.manifestCacheMillis, {
        runtime: pool,
        maxElements: config.maxTensorElements,
        uploads: {
          maxNodes: config.maxGraphNodes,
          budgetBytes: config.sessionBudgetBytes,
          defaultLoopIterations: config.maxLoopIterations,
        },
      }),
    );
    c.set("runtime", pool);
    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    c.set("tenancy", new Tenancy(c.env, waitUntil, config.doDelayMillis));
    c.set("cache", new ResponseCache(c.env.CACHE, waitUntil, config.maxCachedBytes));
    await next();
  });
}
