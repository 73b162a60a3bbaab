/**
 * Wraps the work of a metered route so that a response is never sent uncharged and nothing is charged twice.
 * The work tells metering what it turned out to be through the gate it is handed:
 * - `admit()` before it does work: one call to the tenant's Durable Object admits the request (key status, scope,
 *   rate limit, quota reservation) and, after the work, a second commits the charge (2xx) or releases it
 *   (anything else), before the response leaves;
 * - `hit()` when the response cache answers: admitted and committed in one call, since nothing can fail after.
 * With an `Idempotency-Key` the request is admitted up front and its response stored with the charge, so a retry
 * replays it without running or charging again.
 */
import type { Context } from "hono";
import { endTime, startTime } from "hono/timing";
import type { CacheGate } from "../../cache/response-cache";
import { AppError } from "../../errors";
import type { Admission } from "../../tenancy/tenancy";
import type { AppEnv } from "../context";

export interface MeteredCall {
  model: string;
  version: string;
  /** Natural units of this request (batch items, texts, tokens...), known before the work runs. */
  units: number;
  scope?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const OPEN: CacheGate = { hit: async () => undefined, admit: async () => undefined };

export async function metered(
  c: Context<AppEnv>,
  call: MeteredCall,
  work: (gate: CacheGate) => Promise<Response>,
): Promise<Response> {
  const caller = c.get("tenant");
  if (!caller) return work(OPEN);
  const tenancy = c.get("tenancy");
  const request = { scope: call.scope ?? "infer", model: call.model, version: call.version, units: call.units };

  const idempotency = await idempotencyOf(c);
  let admission: Admission | undefined;
  let chargedHeaders: Record<string, string> | undefined;
  const admit = async () => {
    startTime(c, "auth");
    const begun = await tenancy.begin(caller, { ...request, idempotency });
    endTime(c, "auth");
    return begun;
  };
  if (idempotency) {
    const begun = await admit();
    if ("replay" in begun) return begun.replay;
    admission = begun.admission;
  }
  const gate: CacheGate = idempotency
    ? OPEN // admitted above; a hit is committed with the stored response below
    : {
        async hit() {
          startTime(c, "auth");
          chargedHeaders = await tenancy.chargeCached(caller, request);
          endTime(c, "auth");
        },
        async admit() {
          const begun = await admit();
          if ("admission" in begun) admission = begun.admission;
        },
      };

  let response: Response;
  try {
    response = await work(gate);
  } catch (error) {
    if (admission)
      await settle(c, admission, {
        kind: "release",
        reason: error instanceof AppError ? error.code : "internal_error",
      });
    throw error;
  }
  if (!admission) {
    if (!chargedHeaders) throw new AppError("internal_error", "a metered route answered without admitting its request");
    for (const [name, value] of Object.entries(chargedHeaders)) response.headers.set(name, value);
    return response;
  }
  if (response.status < 200 || response.status > 299) {
    await settle(c, admission, { kind: "release", reason: `status ${response.status}` });
    return response;
  }
  for (const [name, value] of Object.entries(admission.headers)) response.headers.set(name, value);
  // admitted, then answered by an identical request's run or its cached result: charged as a cache hit
  const cached = response.headers.get("X-Cache") === "HIT";
  // only an idempotent request needs the bytes (to replay them); otherwise the body passes through uncopied
  const body = idempotency ? await response.arrayBuffer() : response.body;
  const stored = idempotency
    ? { status: response.status, headers: [...response.headers.entries()], body: body as ArrayBuffer }
    : undefined;
  await settle(c, admission, { kind: "commit", cached, response: stored });
  return new Response(body, { status: response.status, headers: response.headers });
}

async function settle(
  c: Context<AppEnv>,
  admission: Admission,
  outcome: Parameters<AppEnv["Variables"]["tenancy"]["complete"]>[1],
): Promise<void> {
  startTime(c, "meter");
  await c.get("tenancy").complete(admission, outcome);
  endTime(c, "meter");
}

/** `Idempotency-Key` plus a fingerprint of the request it names (method, path, content type and body). */
async function idempotencyOf(c: Context<AppEnv>): Promise<{ key: string; fingerprint: string } | undefined> {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key))
    throw new AppError("invalid_request", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  const head = new TextEncoder().encode(`${c.req.method} ${c.req.path}\n${c.req.header("Content-Type") ?? ""}\n`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  const bytes = new Uint8Array(head.byteLength + body.byteLength);
  bytes.set(head);
  bytes.set(body, head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return { key, fingerprint: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}
