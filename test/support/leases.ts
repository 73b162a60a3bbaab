/**
 * Helpers for leased-metering tests: a leased tenant with a key, metered calls to the tiny metered model, and how
 * the Worker says it metered a response (`Server-Timing: metering;desc="leased, 0 blocking calls"`).
 */
import { METERED_MODEL, scaleRequest } from "./tenancy";
import { createKey, createTenant, withKey } from "./worker";

const infer = `/v2/models/${METERED_MODEL}/infer`;

export async function leasedTenant(name: string, limits = { requestsPerMinute: 100_000, monthlyUnits: 1_000_000 }) {
  const tenant = await createTenant({ name, limits, metering: "leased" });
  const { id, key } = await createKey(tenant.id);
  return { tenant, key, keyId: id };
}

/** How the Worker says it metered a response: `leased` or `exact`, and the Durable Object calls it waited for. */
export function metering(response: Response): { mode: string; blocking: number } {
  const found = /metering;desc="(\w+), (\d+) blocking calls?"/.exec(response.headers.get("Server-Timing") ?? "");
  if (!found) throw new Error(`no metering entry in Server-Timing: ${response.headers.get("Server-Timing")}`);
  return { mode: found[1]!, blocking: Number(found[2]) };
}

/** Calls the metered model with `key` and reads the whole response. */
export async function send(key: string, init: RequestInit): Promise<Response> {
  const response = await withKey(key, infer, init);
  await response.arrayBuffer();
  return response;
}

/** Sends distinct one-unit requests until one is admitted from a lease; returns how many were sent. */
export async function untilLeased(key: string, first = 1, headers: Record<string, string> = {}): Promise<number> {
  for (let sent = 1; sent <= 50; sent++) {
    const request = scaleRequest(1, first + sent);
    const response = await send(key, { ...request, headers: { ...(request.headers as object), ...headers } });
    if (metering(response).mode === "leased") return sent;
  }
  throw new Error("no request was admitted from a lease");
}
