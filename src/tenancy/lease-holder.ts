/**
 * An isolate's side of leased metering, one holder per tenant. It admits requests from the leases it holds with no
 * network (checking keys with the same rule as the tenant's object), counts what it admitted and answered, and
 * talks to the tenant's object only in the background, in `waitUntil`: usage batches (unique ids, resent as they
 * were until acknowledged), renewals ahead of need sized from recent traffic, and each lease's last batch once it
 * expires. When no lease can cover a request, the request is admitted exactly, and that call hands back what the
 * isolate holds unused, so a single isolate is refused only when the quota is really spent.
 *
 * Every lease ends within its TTL (its expiry is counted from before the request for it was sent), so a revoked
 * key, a lowered limit or a switch to exact metering take effect within the TTL.
 */
import { keyRejection } from "./key-check";
import type {
  KeyGrant,
  LeaseCap,
  LeaseGrant,
  LeaseNews,
  LeaseWant,
  Leasing,
  Rejection,
  UsageBatch,
  UsageLine,
} from "./metering-types";
import { chargeHeaders } from "./rejection";
import type { MeteringMode } from "./schemas";

/** Units and tokens a lease is asked for at least, and at most. */
const MIN_WANT = 8;
const MAX_WANT = 100_000;
/** A lease is asked to cover this many TTLs of the recent traffic (renewal starts at half of it). */
const WANT_TTLS = 2;
/**
 * A lease's own pace counts once it has admitted this many requests (one request just after it arrived is no trend),
 * measured from its arrival over this much time at least. A burst is seen within its first few requests, so the
 * renewal it triggers is sized for it while the lease still has a round trip's worth left.
 */
const PACE_MIN_REQUESTS = 2;
const PACE_FLOOR_MS = 50;
/** Key hashes a holder remembers (the keys a lease is asked to carry). */
const MAX_KEYS = 32;
/** Batches kept for resending at most (a few seconds of traffic while the object does not answer). */
const MAX_OUTBOX = 1_000;
/** Background calls that fail are retried this many times, this far apart (ms), within `waitUntil`. */
export const RETRY_DELAYS = [250, 1_000, 4_000];

export interface LocalNeed {
  scope: string;
  model: string;
  version: string;
  units: number;
  origin: string | null;
}

/** A request admitted from a lease; `answered` or `failed` settles it locally. */
export interface LeasedAdmission {
  lease: HeldLease;
  keyId: string;
  model: string;
  version: string;
  units: number;
  headers: Record<string, string>;
}

/** The calls a holder makes to its tenant's object (made by the request that lends its `waitUntil`). */
export interface LeaseCalls {
  sync(leasing: Leasing): Promise<LeaseNews>;
}

interface HeldLease {
  grant: LeaseGrant;
  /** Local clock; counted from before the request for the lease was sent, so never later than the object's. */
  receivedAt: number;
  /** Local clock when the grant arrived: the lease's own pace is counted from then. */
  arrivedAt: number;
  expiresAt: number;
  keys: Map<string, KeyGrant>;
  unitsTaken: number;
  tokensTaken: number;
  running: number;
  /** Answered requests not yet sent, by key, model, version, cache status and hour. */
  lines: Map<string, UsageLine>;
  /** No more admissions (expired, or handed back by a cap); its last batch goes out once nothing runs on it. */
  ended: boolean;
  finalQueued: boolean;
  idle?: () => void;
  closer?: Promise<void>;
}

export class LeaseHolder {
  /** The tenant's mode as its object last said; `undefined` until the first exact call. */
  mode: MeteringMode | undefined;
  /** Leases whose last batch is not queued yet, oldest first; those not ended admit requests. */
  private leases: HeldLease[] = [];
  /** Batches sent but not acknowledged: resent with the same ids, so each counts once. */
  private outbox: UsageBatch[] = [];
  /**
   * A call that may bring a lease is on its way. While it is, requests the leases cannot cover wait for it, and
   * while exact calls are on their way (`exactCalls`), no lease is asked for: a lease carved while this isolate's
   * own exact calls wait in the object's queue could leave them refused with units idle here.
   */
  private acquiring?: Promise<void>;
  private exactCalls = 0;
  private syncing?: Promise<void>;
  private noLeaseUntil = 0;
  /** Key hashes seen lately, least recent first. */
  private readonly keyHashes = new Set<string>();
  private readonly demand = new Demand();

  constructor(private readonly holder: string) {}

  /**
   * Admits from a lease (the oldest that can, so older ones run dry first): an admission, a rejection of the key
   * (the newest lease that carries it knows it), or `undefined` when no lease can cover the request (none,
   * expired, dry, or a key none carries).
   */
  admit(keyHash: string, need: LocalNeed, now: number): LeasedAdmission | Rejection | undefined {
    const usable = this.usable(now);
    const newest = usable.findLast((l) => l.keys.has(keyHash));
    if (!newest) return undefined;
    const rejection = keyRejection(newest.keys.get(keyHash)!, need, now);
    if (rejection) return rejection;
    const lease = usable.find(
      (l) => l.keys.has(keyHash) && l.unitsTaken + need.units <= l.grant.units && l.tokensTaken + 1 <= l.grant.tokens,
    );
    if (!lease) return undefined;
    const key = lease.keys.get(keyHash)!;
    lease.unitsTaken += need.units;
    lease.tokensTaken += 1;
    lease.running += 1;
    const headers = leaseHeaders(lease, need.units, now);
    return { lease, keyId: key.id, model: need.model, version: need.version, units: need.units, headers };
  }

  /** Counts a request toward recent traffic (what leases are sized from) and remembers its key. */
  arrived(keyHash: string, units: number, now: number): void {
    this.keyHashes.delete(keyHash);
    this.keyHashes.add(keyHash);
    if (this.keyHashes.size > MAX_KEYS) this.keyHashes.delete(this.keyHashes.values().next().value!);
    this.demand.add(units, now);
  }

  /** The admitted request was answered: its units are used, to be reported in the next batch. */
  answered(admission: LeasedAdmission, cached: boolean, now: number): void {
    const { lease } = admission;
    const hour = Math.floor(now / 3_600_000);
    const id = `${admission.keyId}\n${admission.model}\n${admission.version}\n${cached}\n${hour}`;
    const line = lease.lines.get(id);
    if (line) {
      line.requests += 1;
      line.units += admission.units;
    } else {
      const { keyId, model, version, units } = admission;
      lease.lines.set(id, { keyId, model, version, cached, requests: 1, units, at: now });
    }
    this.finish(lease);
  }

  /** The admitted request failed: its units go back to the lease (its rate token stays taken, as in exact mode). */
  failed(admission: LeasedAdmission): void {
    admission.lease.unitsTaken -= admission.units;
    this.finish(admission.lease);
  }

  /** Waits for a call that may bring a lease, if one is on its way; true when it waited. */
  async awaitLease(): Promise<boolean> {
    if (this.mode === "exact" || !this.acquiring) return false;
    await this.acquiring;
    return true;
  }

  /**
   * What an exact call from this isolate carries: caps that hand back everything its leases hold unused (they
   * end), and the wish for a lease when one may be granted. `done` must be called with the answer (or none).
   */
  exactLeasing(now: number): { leasing?: Leasing; done: (news: LeaseNews | undefined) => void } {
    if (this.mode === "exact") return { done: (news) => news && this.accept(news, now) };
    const capped = this.leases.filter((l) => l.grant.units > l.unitsTaken || l.grant.tokens > l.tokensTaken);
    for (const lease of capped) lease.ended = true;
    const caps = capped.map((l): LeaseCap => ({ leaseId: l.grant.id, units: l.unitsTaken, tokens: l.tokensTaken }));
    const want = this.exactCalls === 0 ? this.wantFor(now) : undefined;
    const finished = want ? this.startAcquiring() : this.startExactCall();
    return {
      leasing: caps.length > 0 || want ? { caps, want } : undefined,
      done: (news) => {
        if (news) this.accept(news, now);
        if (want && !news?.lease) this.noLeaseUntil = now + (news?.lease?.ttlMs ?? 1_000);
        finished();
      },
    };
  }

  /**
   * Background work after a request: renew the lease ahead of need, and make sure every lease's last batch is
   * sent after it expires. Returns the promises to hand to `waitUntil`.
   */
  background(calls: LeaseCalls, now: number): Promise<void>[] {
    const work = this.closers(calls);
    if (this.needsRenewal(now))
      work.push(this.send(calls, this.wantFor(now)).then(() => Promise.all(this.closers(calls)).then(() => undefined)));
    return work;
  }

  /** The tenant object's answer to any call: its mode, and a new lease (the ones held stay until they expire). */
  accept(news: LeaseNews, sentAt: number, arrivedAt = Date.now()): void {
    this.mode = news.metering;
    if (!news.lease) return;
    const keys = new Map(news.lease.keys.map((key) => [key.hash, key]));
    this.leases.push({
      grant: news.lease,
      receivedAt: sentAt,
      arrivedAt: Math.max(sentAt, arrivedAt),
      expiresAt: sentAt + news.lease.ttlMs,
      keys,
      unitsTaken: 0,
      tokensTaken: 0,
      running: 0,
      lines: new Map(),
      ended: false,
      finalQueued: false,
    });
  }

  /** Each held lease's closer (made once): its last batch goes out after it expires. */
  private closers(calls: LeaseCalls): Promise<void>[] {
    return this.leases.map((lease) => (lease.closer ??= this.close(lease, calls)));
  }

  /** The leases that may admit now (the expired ones end here). */
  private usable(now: number): HeldLease[] {
    for (const lease of this.leases) if (now >= lease.expiresAt) lease.ended = true;
    return this.leases.filter((lease) => !lease.ended);
  }

  private finish(lease: HeldLease): void {
    lease.running -= 1;
    if (lease.running === 0) lease.idle?.();
  }

  /** True when the leases held will not last half a TTL more at the recent pace (or expire by then). */
  private needsRenewal(now: number): boolean {
    if (this.mode !== "leased" || this.acquiring || this.exactCalls > 0 || now < this.noLeaseUntil) return false;
    const usable = this.usable(now);
    const newest = usable.at(-1);
    if (!newest) return false;
    const half = newest.grant.ttlMs / 2;
    const expected = this.pace(now);
    const left = (field: "units" | "tokens") =>
      usable.reduce((n, l) => n + l.grant[field] - (field === "units" ? l.unitsTaken : l.tokensTaken), 0);
    return (
      newest.expiresAt - now < half ||
      left("units") < expected.units * half ||
      left("tokens") < expected.requests * half
    );
  }

  /**
   * Units and requests per ms lately: over the last second, or since the newest lease arrived if that is faster
   * (after a pause, the last second underestimates a burst that has just begun).
   */
  private pace(now: number): { units: number; requests: number } {
    const second = this.demand.perMs(now);
    const newest = this.leases.at(-1);
    if (!newest || newest.tokensTaken < PACE_MIN_REQUESTS) return second;
    const elapsed = Math.max(PACE_FLOOR_MS, now - newest.arrivedAt);
    return {
      units: Math.max(second.units, newest.unitsTaken / elapsed),
      requests: Math.max(second.requests, newest.tokensTaken / elapsed),
    };
  }

  /** A lease sized to cover WANT_TTLS lease lifetimes of the recent traffic; none while the object refuses. */
  private wantFor(now: number): LeaseWant | undefined {
    if (this.acquiring || now < this.noLeaseUntil) return undefined;
    const ttl = this.leases.at(-1)?.grant.ttlMs ?? 1_000;
    const rate = this.pace(now);
    const size = (perMs: number, floor: number) =>
      Math.min(MAX_WANT, Math.max(MIN_WANT, floor, Math.ceil(perMs * ttl * WANT_TTLS)));
    return {
      holder: this.holder,
      units: size(rate.units, 2 * this.demand.largest(now)),
      tokens: size(rate.requests, 0),
      keyHashes: [...this.keyHashes],
    };
  }

  private startExactCall(): () => void {
    this.exactCalls += 1;
    return () => void (this.exactCalls -= 1);
  }

  private startAcquiring(): () => void {
    let finished!: () => void;
    const acquiring = new Promise<void>((resolve) => (finished = resolve));
    this.acquiring = acquiring;
    return () => {
      if (this.acquiring === acquiring) this.acquiring = undefined;
      finished();
    };
  }

  /** One background call at a time: the batches ready (and any not acknowledged), and `want` if given. */
  private send(calls: LeaseCalls, want: LeaseWant | undefined): Promise<void> {
    if (this.syncing) return this.syncing;
    const sentAt = Date.now();
    const batches = [...this.outbox, ...this.readyBatches()];
    this.outbox = [];
    const finished = want ? this.startAcquiring() : () => undefined;
    this.syncing = calls
      .sync({ batches, want })
      .then(
        (news) => {
          if (want && !news.lease) this.noLeaseUntil = sentAt + 1_000;
          this.accept(news, sentAt);
        },
        () => {
          // kept for the next call; past MAX_OUTBOX the oldest are dropped, and the object charges their leases'
          // unreported units as unsettled, as for an isolate that died
          this.outbox = [...batches, ...this.outbox].slice(-MAX_OUTBOX);
        },
      )
      .finally(() => {
        this.syncing = undefined;
        finished();
      });
    return this.syncing;
  }

  /** A batch per lease with answered requests; a final one for each ended lease with nothing running. */
  private readyBatches(): UsageBatch[] {
    const batches: UsageBatch[] = [];
    for (const lease of this.leases) {
      const final = lease.ended && lease.running === 0;
      if (lease.lines.size === 0 && !final) continue;
      batches.push({ id: crypto.randomUUID(), leaseId: lease.grant.id, lines: [...lease.lines.values()], final });
      lease.lines.clear();
      lease.finalQueued = final;
    }
    this.leases = this.leases.filter((lease) => !lease.finalQueued);
    return batches;
  }

  /** After the lease expires and its last request is answered, its last batch goes out (retried a few times). */
  private async close(lease: HeldLease, calls: LeaseCalls): Promise<void> {
    await sleep(lease.expiresAt - Date.now());
    lease.ended = true;
    if (lease.running > 0) await new Promise<void>((resolve) => (lease.idle = resolve));
    const delivered = () => lease.finalQueued && !this.outbox.some((batch) => batch.leaseId === lease.grant.id);
    for (const delay of [0, ...RETRY_DELAYS]) {
      await sleep(delay);
      while (this.syncing) await this.syncing; // a call on its way may carry the batch already
      if (delivered()) return;
      await this.send(calls, undefined);
      if (delivered()) return;
    }
  }
}

/** Headers of a leased admission: the quota and rate limit as of the lease, plus what the lease still holds. */
function leaseHeaders(lease: HeldLease, units: number, now: number): Record<string, string> {
  const { quota, rateLimit } = lease.grant;
  const elapsed = Math.floor((now - lease.receivedAt) / 1000);
  return chargeHeaders({
    units,
    rateLimit: {
      limit: rateLimit.limit,
      remaining: rateLimit.remaining + lease.grant.tokens - lease.tokensTaken,
      resetSeconds: Math.max(0, rateLimit.resetSeconds - elapsed),
    },
    quota: {
      limit: quota.limit,
      remaining: Math.max(0, quota.remaining + lease.grant.units - lease.unitsTaken),
      resetSeconds: Math.max(0, quota.resetSeconds - elapsed),
    },
  });
}

const holders = new Map<string, LeaseHolder>();
const MAX_HOLDERS = 10_000;
let holderId: string | undefined;

/** This isolate's holder for a tenant (made on first use; random values cannot be made at global scope). */
export function leaseHolder(tenantId: string): LeaseHolder {
  let holder = holders.get(tenantId);
  if (!holder) {
    if (holders.size >= MAX_HOLDERS) holders.delete(holders.keys().next().value!);
    holderId ??= crypto.randomUUID();
    holder = new LeaseHolder(holderId);
    holders.set(tenantId, holder);
  }
  return holder;
}

/** Recent traffic: units and requests in the last second, in four slots of 250 ms. */
class Demand {
  private readonly slots = Array.from({ length: 4 }, () => ({ start: 0, units: 0, requests: 0, largest: 0 }));

  add(units: number, now: number): void {
    const start = now - (now % 250);
    const slot = this.slots[(start / 250) % 4]!;
    if (slot.start !== start) Object.assign(slot, { start, units: 0, requests: 0, largest: 0 });
    slot.units += units;
    slot.requests += 1;
    slot.largest = Math.max(slot.largest, units);
  }

  perMs(now: number): { units: number; requests: number } {
    const recent = this.recent(now);
    const sum = (field: "units" | "requests") => recent.reduce((n, slot) => n + slot[field], 0) / 1_000;
    return { units: sum("units"), requests: sum("requests") };
  }

  largest(now: number): number {
    return Math.max(0, ...this.recent(now).map((slot) => slot.largest));
  }

  private recent(now: number) {
    return this.slots.filter((slot) => now - slot.start < 1_000);
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
