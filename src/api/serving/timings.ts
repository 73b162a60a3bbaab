/**
 * Server-Timing entries for what a cold run paid before the model ran: onnxruntime's start, the R2 read of the
 * weights and the session's creation. Present only on the request that paid them.
 */
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import type { RunTimings } from "../../runtime/session-pool";
import type { AppEnv } from "../context";

export function recordColdStart(c: Context<AppEnv>, timings: RunTimings): void {
  if (timings.create !== undefined) c.get("observation").cold = true;
  if (timings.init !== undefined) setMetric(c, "ort-init", timings.init);
  if (timings.fetch !== undefined) setMetric(c, "r2-read", timings.fetch);
  if (timings.create !== undefined) setMetric(c, "session", timings.create);
}
