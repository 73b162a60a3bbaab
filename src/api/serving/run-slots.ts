/**
 * How many of a tenant's requests may be running or waiting to run in this isolate at once
 * (`MAX_CONCURRENT_RUNS_PER_TENANT`), so that one tenant's burst cannot fill the isolate's run queue for everyone.
 * Beyond it: 429 `too_many_concurrent_runs` with `Retry-After`, before the request is admitted or charged. Counted
 * per isolate: in production a tenant's requests spread over many. Without tenancy only the isolate's own queue
 * limit applies (503 `runtime_busy`, from the session pool).
 */
import type { Context } from "hono";
import { AppError } from "../../errors";
import type { AppEnv } from "../context";

const running = new Map<string, number>();

/** Takes one of the tenant's run slots for this request; the caller gives it back with the returned function. */
export function takeRunSlot(c: Context<AppEnv>): () => void {
  const tenantId = c.get("tenant")?.tenantId;
  if (tenantId === undefined) return () => undefined;
  const limit = c.get("config").maxConcurrentRunsPerTenant;
  const count = running.get(tenantId) ?? 0;
  if (count >= limit)
    throw new AppError(
      "too_many_concurrent_runs",
      `this tenant already has ${count} requests running or waiting on this server, the most it may have at once; retry shortly`,
      { retryAfterSeconds: 1 },
    );
  running.set(tenantId, count + 1);
  let given = false;
  return () => {
    if (given) return;
    given = true;
    const left = (running.get(tenantId) ?? 1) - 1;
    if (left > 0) running.set(tenantId, left);
    else running.delete(tenantId);
  };
}
