/**
 * Helpers for tenancy tests: a tiny public model to meter (`y = 2x`, one unit per element of the leading axis)
 * and a request body for it.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { hashKey } from "../../src/tenancy/keys";
import type { BeginRequest } from "../../src/tenancy/metering-types";
import type { TenantObject } from "../../src/tenancy/tenant-object";
import { scaleBy } from "./fixtures";
import { admin, json, uploadModel } from "./worker";

export const METERED_MODEL = "metered-scale";

export async function uploadMeteredModel(
  name = METERED_MODEL,
  manifest: Record<string, unknown> = { task: "tensor" },
): Promise<void> {
  const response = await uploadModel(name, scaleBy(2), { manifest });
  if (!response.ok) throw new Error(`uploading ${name}: ${response.status} ${await response.text()}`);
}

/** An OIP JSON request for `y = 2x` with `items` elements (so `items` units). */
export function scaleRequest(items = 1, first = 1): RequestInit {
  const data = Array.from({ length: items }, (_, i) => first + i);
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [items], data }] }),
  };
}

/**
 * The tenant's usage report once everything admitted is settled: settlements and leased usage arrive after the
 * responses, in `waitUntil` (a lease's last batch after it expires, about a second later).
 */
export async function settledUsage(tenantId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await json(admin(`/admin/tenants/${tenantId}/usage`));
    if (report.month.reservedUnits === 0 || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A usage report's counts: zero except those given. */
export function counts(given: Partial<Record<(typeof COUNTS)[number], number>>) {
  return Object.fromEntries(COUNTS.map((name) => [name, given[name] ?? 0]));
}
const COUNTS = ["requests", "units", "cachedRequests", "cachedUnits", "unsettledRequests", "unsettledUnits"] as const;

/**
 * Calls `begin` on a tenant's object directly, as a Worker would (the test plays the Worker, e.g. one that dies
 * before settling): `units` of the metered model for the key, with what else the call carries.
 */
export async function beginDirectly(
  tenantId: string,
  key: string,
  units: number,
  extra: Pick<BeginRequest, "idempotency" | "leasing"> = {},
) {
  const stub = env.TENANTS.get(env.TENANTS.idFromName(tenantId));
  const keyHash = await hashKey(key);
  const result = await runInDurableObject(stub, (instance: TenantObject) =>
    instance.begin({ keyHash, scope: "infer", model: METERED_MODEL, version: "1", units, origin: null, ...extra }),
  );
  return { stub, keyHash, result };
}

/**
 * `count` calls, at most `limit` at a time (a client with that many connections), answers in call order. Tests of
 * quotas use 16, the tenant's concurrent runs per isolate (MAX_CONCURRENT_RUNS_PER_TENANT): a 17th concurrent run is
 * refused before admission, which is not what they measure.
 */
export async function inFlight<T>(limit: number, count: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await call(i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
