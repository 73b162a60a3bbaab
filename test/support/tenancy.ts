/**
 * Helpers for tenancy tests: a tiny public model to meter (`y = 2x`, one unit per element of the leading axis)
 * and a request body for it.
 */
import { scaleBy } from "./fixtures";
import { uploadModel } from "./worker";

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
