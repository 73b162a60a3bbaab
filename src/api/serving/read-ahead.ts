/**
 * Starts what a cold request's first run waits for as soon as the request knows its models: onnxruntime's
 * initialisation and the R2 reads of their weights. Both then overlap the rest of the request's way in (body, the
 * manifest, the response cache, the tenant's admission) instead of following it. The session itself is created
 * only once the request is admitted. The request stays alive until the reads are done (`waitUntil`), so a request
 * answered early (a cache hit, a refusal) never leaves I/O half done for the next one.
 */
import type { Context } from "hono";
import type { ResolvedModel } from "../../registry/registry";
import type { AppEnv } from "../context";

/** With no model: onnxruntime alone (the model is not known yet). */
export function readAhead(c: Context<AppEnv>, ...models: ResolvedModel[]): void {
  const runtime = c.get("runtime");
  const started = models.length === 0 ? [runtime.prepare()] : models.map((model) => runtime.prepare(model.source));
  for (const work of started) c.executionCtx.waitUntil(work);
}
