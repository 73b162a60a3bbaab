/**
 * Wraps the work of a metered route so that a response is never sent uncharged and nothing is charged twice.
 * The work tells metering what it turned out to be through the gate it is handed:
 * - `admit()` before it does work: the request is admitted (key status, scope, rate limit, quota) by the
 *   tenant's Durable Object in one call, or, for a tenant in leased mode, by this isolate's lease with no call;
 *   after the response its charge is committed (2xx) or released (anything else), off the response's path;
 * - `hit()` when the response cache answers: admitted and committed in one step, since nothing can fail after.
 * With an `Idempotency-Key` the request is admitted up front (always exactly) and its response stored with the
 * charge, so a retry replays it without running or charging again; a retry that arrives before the stored
 * response has landed is told `idempotency_in_progress`.
 * `Server-Timing: metering;desc="…"` says how the request was metered and how many Durable Object calls it
 * waited for.
 */
import type { Context } from "hono";
import { endTime, setMetric, startTime } from "hono/timing";
import type { CacheGate } from "../../cache/response-cache";
import { AppError } from "../../errors";
import type { Admission, Charged } from "../../tenancy/tenancy";
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
  const meter = tenancy.meter;
  const request = { scope: call.scope ?? "infer", model: call.model, version: call.version, units: call.units };

  const idempotency = await idempotencyOf(c);
  let admission: Admission | undefined;
  let charged: Charged | undefined;
  const timed = async <T>(step: () => Promise<T>): Promise<T> => {
    startTime(c, "auth");
    try {
      return await step();
    } finally {
      endTime(c, "auth");
    }
  };
  if (idempotency) {
    const begun = await timed(() => meter.admit(caller, request, idempotency));
    if ("replay" in begun) return begun.replay;
    admission = begun.admission;
  }
  const gate: CacheGate = idempotency
    ? OPEN // admitted above; a hit is committed with the stored response below
    : {
        async hit() {
          charged = await timed(() => meter.chargeHit(caller, request));
        },
        async admit() {
          const begun = await timed(() => meter.admit(caller, request));
          if ("admission" in begun) admission = begun.admission;
        },
      };

  let response: Response;
  try {
    response = await work(gate);
  } catch (error) {
    if (admission)
      meter.settle(admission, { kind: "release", reason: error instanceof AppError ? error.code : "internal_error" });
    throw error;
  }
  const mode = admission?.mode ?? charged?.mode;
  const calls = tenancy.blockingCalls;
  setMetric(c, "metering", `${mode}, ${calls} blocking ${calls === 1 ? "call" : "calls"}`);
  if (!admission) {
    if (!charged) throw new AppError("internal_error", "a metered route answered without admitting its request");
    for (const [name, value] of Object.entries(charged.headers)) response.headers.set(name, value);
    return response;
  }
  if (response.status < 200 || response.status > 299) {
    meter.settle(admission, { kind: "release", reason: `status ${response.status}` });
    return response;
  }
  for (const [name, value] of Object.entries(admission.headers)) response.headers.set(name, value);
  // admitted, then answered by an identical request's run or its cached result: charged as a cache hit
  const cached = response.headers.get("X-Cache") === "HIT";
  if (!idempotency) {
    meter.settle(admission, { kind: "commit", cached });
    return response;
  }
  // an idempotent request's bytes are stored with its charge, to be replayed
  const body = await response.arrayBuffer();
  const stored = { status: response.status, headers: [...response.headers.entries()], body };
  meter.settle(admission, { kind: "commit", cached, response: stored });
  return new Response(body, { status: response.status, headers: response.headers });
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
