/**
 * Triton's statistics extension (`GET /v2/models[/{model}[/versions/{version}]]/stats`): per model version,
 * `last_inference`, `inference_count`, `execution_count` and `inference_stats` as `{count, ns}`, read from the same
 * aggregates as `GET /metrics`. How our stages map onto Triton's: `queue` is the wait for a busy session,
 * `compute_input` decoding and preprocessing, `compute_infer` the time inside `session.run`, `compute_output`
 * encoding and postprocessing, `cache_hit`/`cache_miss` the response cache's lookup.
 */
import { z } from "@hono/zod-openapi";
import { type Aggregate, type Duration, emptyAggregate, type StatName } from "../../../monitoring/aggregate";

const DurationStatSchema = z.object({
  count: z.number().int().meta({ description: "times the statistic was collected" }),
  ns: z.number().int().meta({ description: "total duration in nanoseconds" }),
});

export const ModelStatSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    last_inference: z.number().int().meta({ description: "milliseconds since the epoch; 0 for never" }),
    inference_count: z
      .number()
      .int()
      .meta({ description: "successful inferences, batch items counted, no cache hits" }),
    execution_count: z.number().int().meta({ description: "session runs of successful requests, no cache hits" }),
    inference_stats: z.object({
      success: DurationStatSchema,
      fail: DurationStatSchema,
      queue: DurationStatSchema,
      compute_input: DurationStatSchema,
      compute_infer: DurationStatSchema,
      compute_output: DurationStatSchema,
      cache_hit: DurationStatSchema,
      cache_miss: DurationStatSchema,
    }),
    response_stats: z.record(z.string(), z.unknown()).meta({ description: "always empty: one response per request" }),
    batch_stats: z.array(z.unknown()).meta({ description: "always empty: batches are not tracked by size" }),
    memory_usage: z.array(z.object({ type: z.string(), id: z.number().int(), byte_size: z.number().int() })),
  })
  .meta({ id: "TritonModelStat" });

export const ModelStatsResponseSchema = z
  .object({ model_stats: z.array(ModelStatSchema) })
  .meta({ id: "TritonModelStatsResponse" });

export type ModelStat = z.infer<typeof ModelStatSchema>;

const TRITON_NAMES: Record<StatName, keyof ModelStat["inference_stats"]> = {
  success: "success",
  fail: "fail",
  queue: "queue",
  computeInput: "compute_input",
  computeInfer: "compute_infer",
  computeOutput: "compute_output",
  cacheHit: "cache_hit",
  cacheMiss: "cache_miss",
};

/** One version's statistics in Triton's shape (zeros for a version that has served nothing yet). */
export function modelStat(name: string, version: string, aggregate: Aggregate = emptyAggregate()): ModelStat {
  const stat = ([count, millis]: Duration) => ({ count, ns: Math.round(millis * 1e6) });
  const inferenceStats = Object.fromEntries(
    Object.entries(TRITON_NAMES).map(([ours, theirs]) => [theirs, stat(aggregate.stats[ours as StatName])]),
  ) as ModelStat["inference_stats"];
  return {
    name,
    version,
    last_inference: aggregate.lastInference,
    inference_count: aggregate.inferences,
    execution_count: aggregate.executions,
    inference_stats: inferenceStats,
    response_stats: {},
    batch_stats: [],
    memory_usage: aggregate.memory[0] > 0 ? [{ type: "CPU", id: 0, byte_size: aggregate.memory[1] }] : [],
  };
}
