/**
 * The tenant object's side of leased metering: grants leases carved from what the tenant has left, applies the
 * usage batches and hand-backs isolates send (each batch once), and charges what a dead isolate never reported.
 *
 * The invariant: every unit of a lease sits in the month's `reserved` counter until its holder reports it used
 * (then it moves to `committed`) or hands it back (then it leaves), so admissions from leases and exact
 * admissions together can never pass the quota. A lease whose holder never sends its last batch is treated like
 * an exact reservation that was never settled: what it did not report is charged as `unsettled`, refundable.
 */
import { monthOf, secondsToNextMonth, startOfNextMonth } from "./calendar";
import { keyStatusRejection } from "./key-check";
import type { Lease, LeaseStore } from "./lease-store";
import type { LeaseCap, LeaseGrant, LeaseWant, Leasing, UsageBatch } from "./metering-types";
import { giveBack, rateState, refill } from "./rate-limit";
import type { Tenant } from "./schemas";
import type { TenantStore } from "./tenant-store";

/** How long a lease is valid: the longest a revocation, a limit change or a mode change waits in leased mode. */
export const LEASE_TTL_MS = 1_000;
/** How long after a lease expires its holder may still send its last batch before the rest is charged. */
export const LEASE_GRACE_MS = 60_000;
/** A lease takes at most this fraction of the units and tokens left, so the last of a quota is admitted exactly. */
const LEASE_SHARE = 1 / 4;
/** Keys one lease carries at most. */
const MAX_LEASE_KEYS = 64;

export class LeaseLedger {
  constructor(
    private readonly tenants: TenantStore,
    private readonly leases: LeaseStore,
  ) {}

  /** Applies what an isolate hands back and the usage batches it reports (a batch seen before changes nothing). */
  receive(leasing: Leasing, now: number): void {
    for (const cap of leasing.caps ?? []) this.takeBack(cap, now);
    for (const batch of leasing.batches ?? []) this.apply(batch, now);
  }

  /** A new lease for `want`, or `undefined` when too little is left (the isolate then admits exactly). */
  grant(tenant: Tenant, want: LeaseWant, now: number): LeaseGrant | undefined {
    if (tenant.metering !== "leased") return undefined;
    const month = monthOf(now);
    const used = this.tenants.monthUsage(month);
    const free = tenant.limits.monthlyUnits - used.committed - used.reserved;
    const rpm = tenant.limits.requestsPerMinute;
    const bucket = refill(this.tenants.bucket(), rpm, now);
    const units = Math.min(whole(want.units), Math.floor(free * LEASE_SHARE));
    const tokens = Math.min(whole(want.tokens), Math.floor(bucket.tokens * LEASE_SHARE));
    const keys = want.keyHashes.slice(0, MAX_LEASE_KEYS).flatMap((hash) => {
      const key = this.tenants.keyByHash(hash);
      // a key with its own rate limit is admitted exactly, by this object, where its bucket lives
      if (!key || key.requestsPerMinute !== null || keyStatusRejection(key, now)) return [];
      const { id, prefix, scopes, expiresAt, expiresAtMs, allowedOrigins } = key;
      return [{ hash, id, prefix, scopes, expiresAt, expiresAtMs, allowedOrigins }];
    });
    if (units < 1 || tokens < 1 || keys.length === 0) return undefined;

    const expiresAt = Math.min(now + LEASE_TTL_MS, startOfNextMonth(now)); // a lease never spans two quota months
    const id = crypto.randomUUID();
    const left = { tokens: bucket.tokens - tokens, updatedAt: now };
    this.tenants.adjustMonth(month, 0, units);
    this.tenants.saveBucket(left);
    this.leases.insert({ id, holder: want.holder, month, units, tokens, grantedAt: now, expiresAt });
    return {
      id,
      units,
      tokens,
      ttlMs: expiresAt - now,
      keys,
      quota: { limit: tenant.limits.monthlyUnits, remaining: free - units, resetSeconds: secondsToNextMonth(now) },
      rateLimit: rateState(left, rpm),
    };
  }

  /** Charges, as `unsettled`, what leases never reported once their grace has passed. */
  chargeUnreported(now: number): void {
    for (const lease of this.leases.activeExpiredBefore(now - LEASE_GRACE_MS)) {
      const unreported = lease.units - lease.usedUnits;
      if (unreported > 0) {
        const event = { id: unsettledId(lease.id), keyId: "*", model: "*", version: "*", units: unreported };
        this.tenants.insertEvent(
          { ...event, month: lease.month },
          "unsettled",
          false,
          lease.grantedAt,
          now,
          "the isolate holding this lease never reported its last usage",
        );
        this.tenants.adjustMonth(lease.month, unreported, -unreported);
      }
      this.leases.end(lease.id, "unsettled", now);
    }
  }

  /** When the alarm must next run for leases: the earliest active lease's expiry plus the grace. */
  nextDeadline(): number | undefined {
    const earliest = this.leases.earliestActiveExpiry();
    return earliest === undefined ? undefined : earliest + LEASE_GRACE_MS;
  }

  leasedUnits(month: string): number {
    return this.leases.leasedUnits(month);
  }

  forgetBefore(cutoff: number): void {
    this.leases.forgetBefore(cutoff);
  }

  /** Shrinks a lease to what its holder says it will use at most (never below what it reported used). */
  private takeBack(cap: LeaseCap, now: number): void {
    const lease = this.leases.get(cap.leaseId);
    if (lease?.status !== "active") return;
    const units = lease.units - Math.max(lease.usedUnits, Math.min(lease.units, whole(cap.units)));
    const tokens = lease.tokens - Math.max(lease.usedRequests, Math.min(lease.tokens, whole(cap.tokens)));
    this.leases.shrink(lease.id, units, tokens);
    this.tenants.adjustMonth(lease.month, 0, -units);
    this.returnTokens(tokens, now);
  }

  private apply(batch: UsageBatch, now: number): void {
    const lease = this.leases.get(batch.leaseId);
    if (!this.leases.firstSight(batch.id, batch.leaseId, now)) return;
    let units = 0;
    let requests = 0;
    batch.lines.forEach((line, i) => {
      const lineUnits = whole(line.units);
      const event = {
        id: `${batch.id}:${i}`,
        keyId: line.keyId,
        model: line.model,
        version: line.version,
        units: lineUnits,
        requests: whole(line.requests),
        month: lease?.month ?? monthOf(line.at),
      };
      this.tenants.insertEvent(event, "committed", line.cached, Math.min(line.at, now), now);
      units += lineUnits;
      requests += event.requests;
    });
    if (!lease) {
      for (const line of batch.lines) this.tenants.adjustMonth(monthOf(line.at), whole(line.units), 0);
      return;
    }
    // reported units move from the lease's reservation (or, when it was already charged unsettled, from that
    // charge) to their own committed lines
    if (lease.status === "unsettled") this.tenants.shrinkUnsettled(unsettledId(lease.id), units);
    const fromReservation = lease.status === "active" ? Math.min(units, lease.units - lease.usedUnits) : 0;
    this.tenants.adjustMonth(lease.month, units, -fromReservation);
    this.leases.addUsage(lease.id, units, requests);
    if (batch.final && lease.status === "active") this.close(lease, units, requests, now);
  }

  /** The lease's last batch is in: what it did not use goes back to the month and the bucket. */
  private close(lease: Lease, units: number, requests: number, now: number): void {
    const unusedUnits = Math.max(0, lease.units - lease.usedUnits - units);
    const unusedTokens = Math.max(0, lease.tokens - lease.usedRequests - requests);
    this.tenants.adjustMonth(lease.month, 0, -unusedUnits);
    this.returnTokens(unusedTokens, now);
    this.leases.end(lease.id, "closed", now);
  }

  private returnTokens(tokens: number, now: number): void {
    const tenant = this.tenants.tenant();
    if (!tenant || tokens <= 0) return;
    this.tenants.saveBucket(giveBack(this.tenants.bucket(), tenant.limits.requestsPerMinute, now, tokens));
  }
}

function unsettledId(leaseId: string): string {
  return `lease:${leaseId}`;
}

/** A non-negative whole number from what an isolate sent. */
function whole(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
