/**
 * Reads the models' metrics objects for `GET /metrics`, Triton's statistics, the charts' series and the version
 * comparison. The answering isolate first sends what it has gathered and waits for it, so a reader sees at least
 * every request this isolate answered; other isolates' requests arrive within their flush interval.
 */
import type { Context } from "hono";
import { AppError } from "../../errors";
import { MINUTE_MS, RETENTION_MS, type VersionAggregate, type VersionSeries } from "../../monitoring/metrics-object";
import { instant } from "../../tenancy/usage-query";
import type { AppEnv } from "../context";
import { flushMetrics } from "../middleware/observe";

/** Longest span a series or a comparison reads, and most points a series has. */
const MAX_POINTS = 1_440;

/** A model's metrics object. (RPC's types widen the aggregates' tuples to arrays: the readers cast them back.) */
function shard(c: Context<AppEnv>, model: string) {
  return c.env.METRICS.get(c.env.METRICS.idFromName(model));
}

/** Everything each model's versions served, and how many batches each model's object received. */
export async function readTotals(
  c: Context<AppEnv>,
  models: readonly string[],
): Promise<{ model: string; versions: VersionAggregate[]; batches: number }[]> {
  await flushMetrics(c.env);
  return Promise.all(
    models.map(async (model) => {
      const { versions, batches } = await shard(c, model).totals();
      return { model, versions: versions as VersionAggregate[], batches };
    }),
  );
}

export interface Window {
  from: number;
  to: number;
  /** Milliseconds per point (a multiple of a minute). */
  step: number;
}

/** What each version of `model` served in the window, added up. */
export async function readWindow(c: Context<AppEnv>, model: string, window: Window): Promise<VersionAggregate[]> {
  await flushMetrics(c.env);
  return (await shard(c, model).window(window.from, window.to)) as unknown as VersionAggregate[];
}

/** What each version of `model` served in the window, by steps. */
export async function readSeries(c: Context<AppEnv>, model: string, window: Window): Promise<VersionSeries[]> {
  await flushMetrics(c.env);
  return (await shard(c, model).series(window.from, window.to, window.step)) as unknown as VersionSeries[];
}

/**
 * The window of `from`/`to` (RFC 3339; by default the hour up to now) and `step` (seconds, a multiple of 60; by
 * default the whole window, or a minute for a series), whole minutes, within the minutes kept (7 days).
 */
export function parseWindow(query: { from?: string; to?: string; step?: string }, series: boolean): Window {
  const now = Date.now();
  const to = ceilMinute(query.to === undefined ? now : instant(query.to, "to"));
  const from = floorMinute(query.from === undefined ? to - 3_600_000 : instant(query.from, "from"));
  if (from >= to) throw new AppError("invalid_request", "'from' must be before 'to'");
  if (to - from > RETENTION_MS) throw new AppError("invalid_request", "a window spans at most 7 days");
  const step = query.step === undefined ? (series ? MINUTE_MS : to - from) : Number(query.step) * 1000;
  if (!Number.isInteger(step / MINUTE_MS) || step <= 0)
    throw new AppError("invalid_request", "'step' must be a positive multiple of 60 (seconds)");
  if ((to - from) / step > MAX_POINTS)
    throw new AppError("invalid_request", `a series has at most ${MAX_POINTS} points; choose a larger 'step'`);
  return { from, to, step };
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
