/**
 * Admits and settles one metered request, in the tenant's metering mode:
 * - exact: `begin` (or `chargeCached` for a cache hit) is the one call the response waits for; the settlement
 *   (`complete`) goes out after the response, in `waitUntil`;
 * - leased: the isolate's lease admits the request with no call at all; usage goes out in background batches.
 *   When the lease cannot cover a request, it is admitted exactly.
 * Requests with an `Idempotency-Key` are always admitted exactly (their stored response lives in the object).
 */
import { type LeasedAdmission, type LeaseHolder, leaseHolder, RETRY_DELAYS } from "./lease-holder";
import type { BeginRequest, LeaseNews, Outcome, Rejection } from "./metering-types";
import { chargeHeaders, rejectionError } from "./rejection";
import type { DurableStubs } from "./stubs";

/** An API key that exists, before its status (revoked, expired, origin, scopes) is checked. */
export interface Caller {
  tenantId: string;
  keyHash: string;
  /** The request's `Origin` header (`null`: none): every check of the key sees it. */
  origin: string | null;
}

export interface MeterRequest {
  scope: string;
  model: string;
  version: string;
  units: number;
}

export type Admission =
  | { mode: "exact"; tenantId: string; eventId: string; keyId: string; units: number; headers: Record<string, string> }
  | { mode: "leased"; tenantId: string; keyId: string; lease: LeasedAdmission; headers: Record<string, string> };

/** A cache hit's charge: how it was metered, the key's id and the response's headers. */
export interface Charged {
  mode: Admission["mode"];
  keyId: string;
  headers: Record<string, string>;
}

/** Leases on their way a request waits for at most before it goes to the object itself. */
const MAX_LEASE_WAITS = 32;

export class Admissions {
  /**
   * @param stubs  stubs whose calls the response waits for (counted)
   * @param background  stubs for calls made in `waitUntil`
   * @param waited  told when a request waits for another request's call instead (counted as blocking too)
   */
  constructor(
    private readonly stubs: DurableStubs,
    private readonly background: DurableStubs,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly waited: () => void = () => undefined,
  ) {}

  /** Admits a metered request before its work, or returns the stored response of an idempotent replay. */
  async admit(
    caller: Caller,
    request: MeterRequest,
    idempotency?: BeginRequest["idempotency"],
  ): Promise<{ admission: Admission } | { replay: Response }> {
    const holder = idempotency ? undefined : leaseHolder(caller.tenantId);
    const leased = holder && (await this.fromLease(holder, caller, request));
    if (leased) return { admission: leasedAdmission(caller, leased) };

    const { leasing, done } = this.leasing(holder);
    const object = this.stubs.tenant(caller.tenantId);
    const result = await object
      .begin({ ...request, keyHash: caller.keyHash, origin: caller.origin, idempotency, leasing })
      .catch(failed(done));
    done(result.kind === "admitted" ? result : undefined);
    if (holder) this.keepLeasing(holder, caller.tenantId);
    if (result.kind === "rejected") {
      const rescued = holder && (await this.rescue(holder, caller, request, result));
      if (rescued) return { admission: leasedAdmission(caller, rescued) };
      throw rejectionError(result);
    }
    if (result.kind === "replay") {
      const headers = new Headers(result.response.headers);
      headers.set("Idempotent-Replayed", "true");
      return { replay: new Response(result.response.body, { status: result.response.status, headers }) };
    }
    const { eventId, keyId, units } = result;
    return {
      admission: { mode: "exact", tenantId: caller.tenantId, eventId, keyId, units, headers: chargeHeaders(result) },
    };
  }

  /** Admits and charges a request answered from the response cache; returns the response's headers. */
  async chargeHit(caller: Caller, request: MeterRequest): Promise<Charged> {
    const holder = leaseHolder(caller.tenantId);
    const leased = await this.fromLease(holder, caller, request);
    if (leased) {
      holder.answered(leased, true, Date.now());
      return { mode: "leased", keyId: leased.keyId, headers: leased.headers };
    }
    const { leasing, done } = this.leasing(holder);
    const object = this.stubs.tenant(caller.tenantId);
    const result = await object
      .chargeCached({ ...request, keyHash: caller.keyHash, origin: caller.origin, leasing })
      .catch(failed(done));
    done(result.kind === "charged" ? result : undefined);
    this.keepLeasing(holder, caller.tenantId);
    if (result.kind === "rejected") {
      const rescued = await this.rescue(holder, caller, request, result);
      if (!rescued) throw rejectionError(result);
      holder.answered(rescued, true, Date.now());
      return { mode: "leased", keyId: rescued.keyId, headers: rescued.headers };
    }
    return { mode: "exact", keyId: result.keyId, headers: chargeHeaders(result) };
  }

  /** Commits (2xx) or releases the admission after the response, off its path. */
  settle(admission: Admission, outcome: Outcome): void {
    if (admission.mode === "leased") {
      const holder = leaseHolder(admission.tenantId);
      if (outcome.kind === "commit") holder.answered(admission.lease, outcome.cached, Date.now());
      else holder.failed(admission.lease);
      this.keepLeasing(holder, admission.tenantId);
      return;
    }
    const object = this.background.tenant(admission.tenantId);
    this.waitUntil(retried(() => object.complete(admission.eventId, outcome)));
  }

  /**
   * From a lease, waiting for the leases on their way while the ones held cannot cover the request. Each such call
   * admits at least the request that made it, so the wait ends; once the object grants no more leases (too little
   * left), requests go to it exactly, together.
   */
  private async fromLease(holder: LeaseHolder, caller: Caller, request: MeterRequest) {
    holder.arrived(caller.keyHash, request.units, Date.now());
    for (let waits = 0; ; waits++) {
      const local = this.local(holder, caller, request);
      if (local || waits === MAX_LEASE_WAITS || !(await holder.awaitLease())) return local;
      this.waited();
    }
  }

  /**
   * A request the object refused for its quota or rate limit while this isolate was being granted a lease (carved
   * from the same quota) is admitted from that lease: in one isolate, a request is refused only when neither the
   * object nor the isolate's leases can cover it.
   */
  private async rescue(holder: LeaseHolder, caller: Caller, request: MeterRequest, refusal: Rejection) {
    if (refusal.code !== "quota_exceeded" && refusal.code !== "rate_limited") return undefined;
    if (await holder.awaitLease()) this.waited();
    return this.local(holder, caller, request);
  }

  private local(holder: LeaseHolder, caller: Caller, request: MeterRequest): LeasedAdmission | undefined {
    const local = holder.admit(caller.keyHash, { ...request, origin: caller.origin }, Date.now());
    if (local && "kind" in local) throw rejectionError(local);
    if (local) this.keepLeasing(holder, caller.tenantId);
    return local;
  }

  private leasing(holder: LeaseHolder | undefined) {
    return holder ? holder.exactLeasing(Date.now()) : { leasing: undefined, done: (_news?: LeaseNews) => undefined };
  }

  /** Renewals and last batches of the tenant's leases, in `waitUntil`. */
  private keepLeasing(holder: LeaseHolder, tenantId: string): void {
    const object = this.background.tenant(tenantId);
    for (const work of holder.background({ sync: (leasing) => object.sync(leasing) }, Date.now())) this.waitUntil(work);
  }
}

function leasedAdmission(caller: Caller, lease: LeasedAdmission): Admission {
  return { mode: "leased", tenantId: caller.tenantId, keyId: lease.keyId, lease, headers: lease.headers };
}

/** When an exact call fails, its lease holder is told there is no answer before the error goes on. */
function failed(done: (news: undefined) => void) {
  return (error: unknown): never => {
    done(undefined);
    throw error;
  };
}

/** A settlement, retried (RETRY_DELAYS); one still missing is charged `unsettled` by the object's alarm. */
async function retried(call: () => Promise<unknown>): Promise<void> {
  for (const delay of [0, ...RETRY_DELAYS]) {
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    try {
      await call();
      return;
    } catch {
      // tried again; after the last attempt the object's alarm charges the reservation as unsettled
    }
  }
}
