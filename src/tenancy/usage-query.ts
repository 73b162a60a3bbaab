/**
 * Parses `from`, `to` and `granularity` of a usage request: RFC 3339 instants or dates, by default the current
 * UTC month up to now, daily. Hourly reports span at most 31 days and daily ones 366, to bound the answer.
 */
import { AppError } from "../errors";
import { startOfMonth } from "./calendar";
import type { UsageQuery } from "./metering-types";

const MAX_DAYS = { hour: 31, day: 366 } as const;

export function parseUsageQuery(
  params: { from?: string; to?: string; granularity?: string },
  now = Date.now(),
): UsageQuery {
  const granularity = params.granularity ?? "day";
  if (granularity !== "hour" && granularity !== "day")
    throw new AppError("invalid_request", "granularity must be 'hour' or 'day'");
  const from = params.from === undefined ? startOfMonth(now) : instant(params.from, "from");
  const to = params.to === undefined ? now + 1 : instant(params.to, "to");
  if (from >= to) throw new AppError("invalid_request", "'from' must be before 'to'");
  if (to - from > MAX_DAYS[granularity] * 86_400_000)
    throw new AppError("invalid_request", `a ${granularity}ly report spans at most ${MAX_DAYS[granularity]} days`);
  return { from, to, granularity };
}

/** An RFC 3339 date or date-time in epoch ms; a 400 naming the parameter otherwise. */
export function instant(value: string, name: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new AppError("invalid_request", `'${name}' must be an RFC 3339 date or date-time, got '${value}'`);
  return ms;
}
