/**
 * Watches every request: puts an `Observation` on `c.var.observation` for the serving layers to fill, and once the
 * response is ready
 * - writes the request's one JSON log line (`console.log`: Workers Logs, `wrangler tail` and `wrangler dev` show it);
 * - adds inference requests to this isolate's metrics buffer, sent to the models' metrics objects in `waitUntil`;
 * - says on the response which version of the model served it (`X-Model-Version`).
 * With `MONITORING=metrics` no log line is written; with `MONITORING=off` only the header remains.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RequestIdVariables } from "hono/request-id";
import { routePath } from "hono/route";
import type { Served } from "../../monitoring/aggregate";
import { MetricsBuffer } from "../../monitoring/metrics-buffer";
import type { MetricsBatch } from "../../monitoring/metrics-object";
import { type Observation, startObservation } from "../../monitoring/observation";
import type { ServiceVariables } from "./services";
import type { TenantVariables } from "./tenant-key";

export type ObservationVariables = { observation: Observation };

/** Requests that fail before a model is resolved (no key, an unknown model) are counted under this name. */
export const UNRESOLVED = "-";

/** The routes that run models: their requests are metrics. */
const INFERENCE_ROUTES = new Set([
  "/v2/models/:model/infer",
  "/v2/models/:model/versions/:version/infer",
  "/v1/run/:model",
  "/v1/embeddings",
]);

type ObserveEnv = {
  Bindings: Env;
  Variables: ServiceVariables & TenantVariables & RequestIdVariables & ObservationVariables;
};

let isolateId: string | undefined;
let buffer: MetricsBuffer | undefined;

/** This isolate's id (random, made on first use): which isolate served a request, in its log line. */
export function isolate(): string {
  isolateId ??= `iso_${crypto.randomUUID().slice(0, 8)}`;
  return isolateId;
}

function metricsBuffer(timer: boolean): MetricsBuffer {
  buffer ??= new MetricsBuffer(isolate(), timer);
  return buffer;
}

/** Sends what this isolate gathered and waits for it to land: reads that follow see this isolate's requests. */
export function flushMetrics(env: Env): Promise<void> {
  return buffer ? buffer.flush(sink(env)) : Promise.resolve();
}

export function observeRequests() {
  return createMiddleware<ObserveEnv>(async function observeRequests(c, next) {
    const observation = startObservation();
    c.set("observation", observation);
    await next();
    if (observation.version !== undefined) c.res.headers.set("X-Model-Version", observation.version);
    const monitoring = c.get("config").monitoring;
    if (monitoring === "off") return;
    const served = servedBy(c, observation);
    const route = routePath(c, -1);
    if (monitoring === "on") console.log(JSON.stringify(logLine(c, route, observation, served)));
    if (INFERENCE_ROUTES.has(route)) {
      const model = observation.model ?? UNRESOLVED;
      const version = observation.version ?? UNRESOLVED;
      const timer = c.get("config").metricsFlushTimer;
      metricsBuffer(timer).add(model, version, served, sink(c.env), (promise) => c.executionCtx.waitUntil(promise));
    }
  });
}

function sink(env: Env) {
  return (model: string, batch: MetricsBatch) => env.METRICS.get(env.METRICS.idFromName(model)).record(batch);
}

function servedBy(c: Context<ObserveEnv>, observation: Observation): Served {
  return {
    status: c.res.status,
    code: c.res.headers.get("X-Error-Code") ?? undefined,
    cache: c.res.headers.get("X-Cache") ?? undefined,
    units: observation.units ?? 0,
    totalMs: performance.now() - observation.startedAt,
    queueMs: observation.queueMs,
    inputMs: observation.inputMs,
    inferMs: observation.inferMs,
    outputMs: observation.outputMs,
    cacheMs: observation.cacheMs,
    runs: observation.runs,
    cold: observation.cold,
    labels: observation.labels,
    sessionBytes: observation.sessionBytes,
    at: Date.now(),
  };
}

/**
 * The request's log line: who called what, how it went and where the time went. Never the request's inputs or
 * outputs, its query string, a key or a token (the key appears by its id).
 */
function logLine(c: Context<ObserveEnv>, route: string, observation: Observation, served: Served) {
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    msg: "request",
    time: new Date(served.at).toISOString(),
    requestId: c.get("requestId"),
    method: c.req.method,
    route,
    status: served.status,
    code: served.code ?? null,
    tenant: c.get("tenant")?.tenantId ?? null,
    key: observation.keyId ?? null,
    model: observation.model === undefined ? null : `${observation.model}@${observation.version}`,
    cache: served.cache ?? null,
    units: observation.units ?? null,
    ms: {
      auth: round(observation.authMs),
      queue: round(observation.queueMs),
      infer: round(observation.inferMs),
      total: round(served.totalMs),
    },
    cold: observation.cold,
    isolate: isolate(),
  };
}
