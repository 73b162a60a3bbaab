/**
 * Helpers for tenancy tests: a tiny public model to meter (`y = 2x`, one unit per element of the leading axis)
 * and a request body for it.
 */
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
