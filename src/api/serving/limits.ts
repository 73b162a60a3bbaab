/**
 * The limits a request to one model is held to: the manifest's `limits`, else the server's defaults. Computed in
 * one place so OIP inference and the task routes always agree.
 */
import type { Config } from "../../config";
import type { Manifest } from "../../registry/manifest";
import { DEFAULT_CALL_COST } from "../../tasks/batching";
import type { TaskLimits } from "../../tasks/task";

/** Items per session call when a manifest sets no `limits.maxBatch`. */
const DEFAULT_MAX_BATCH = 32;

/**
 * @param routeMaxItems the route's own default item limit (`/v1/embeddings`: MAX_EMBEDDING_INPUTS), else
 *   MAX_TASK_ITEMS; a manifest's `limits.maxItems` overrides either
 */
export function modelLimits(config: Config, manifest: Manifest, routeMaxItems?: number): TaskLimits {
  const limits = manifest.limits ?? {};
  return {
    maxBatch: limits.maxBatch ?? DEFAULT_MAX_BATCH,
    maxItems: limits.maxItems ?? routeMaxItems ?? config.maxTaskItems,
    maxElements: limits.maxElements ?? config.maxTensorElements,
    maxImagePixels: limits.maxImagePixels ?? config.maxImagePixels,
    batchCallCost: limits.batchCallCost ?? DEFAULT_CALL_COST,
  };
}
