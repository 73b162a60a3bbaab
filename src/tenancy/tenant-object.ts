/**
 * One Durable Object per tenant: the single source of truth for its keys' status, its limits and its usage
 * ledger. A request is admitted by `begin` (key status, scope, rate limit, quota reservation, idempotency, all
 * in one exact step) and settled by `complete` (commit or release), which the Worker sends after the response.
 * A reservation whose settlement never arrives is charged, as `unsettled`, by the alarm after
 * RESERVATION_TTL_MS: a response may have left, and a response never leaves uncharged. Operators can refund it.
 *
 * A tenant in `leased` mode also hands its isolates leases (see lease-ledger.ts) on any of these calls, and takes
 * their usage batches back through `sync`.
 */
import { DurableObject } from "cloudflare:workers";
import { monthOf, secondsToNextMonth } from "./calendar";
import { type KeyNeed, keyRejection, UNKNOWN_KEY } from "./key-check";
import { LeaseLedger } from "./lease-ledger";
import { LeaseStore } from "./lease-store";
import type {
  AuthorizeResult,
  BeginRequest,
  BeginResult,
  ChargeRequest,
  ChargeResult,
  LeaseNews,
  Leasing,
  Outcome,
  QuotaState,
  Rejection,
  UnsettledCharge,
  UsageQuery,
  UsageReport,
} from "./metering-types";
import { takeToken } from "./rate-limit";
import type { KeyRecord, Limits, MeteringMode, Tenant } from "./schemas";
import { type KeyChange, type LedgerEvent, type NewKeyRow, TenantStore } from "./tenant-store";

const RESERVATION_TTL_MS = 5 * 60_000;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Usage batch ids (and ended leases) are kept this long: a batch retried within it counts once. */
const BATCH_MEMORY_MS = 24 * 3_600_000;
/** `last_used_at` is written at most this often per key, to keep writes off the hot path. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_UNSETTLED_LISTED = 1000;

export class TenantObject extends DurableObject<Env> {
  private readonly store: TenantStore;
  private readonly leases: LeaseLedger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new TenantStore(ctx.storage.sql);
    this.leases = new LeaseLedger(this.store, new LeaseStore(ctx.storage.sql));
  }

  setup(id: string, name: string, limits: Limits, metering: MeteringMode = "exact"): Tenant {
    if (!this.store.tenant()) this.store.insertTenant(id, name, limits, metering, Date.now());
    return this.store.tenant()!;
  }

  tenant(): Tenant | undefined {
    return this.store.tenant();
  }

  update(patch: { name?: string; limits?: Partial<Limits>; metering?: MeteringMode }): Tenant | undefined {
    const current = this.store.tenant();
    if (!current) return undefined;
    this.store.updateTenant(
      patch.name ?? current.name,
      { ...current.limits, ...patch.limits },
      patch.metering ?? current.metering,
    );
    return this.store.tenant();
  }

  addKey(key: NewKeyRow): KeyRecord {
    this.store.insertKey(key, Date.now());
    return this.store.keyById(key.id)!;
  }

  /** Changes a key's name, scopes, expiry or own rate limit; `undefined` when there is no such active key. */
  updateKey(id: string, change: KeyChange): KeyRecord | undefined {
    const key = this.store.keyById(id);
    if (!key || key.revokedAt) return undefined;
    this.store.updateKey(id, change);
    return this.store.keyById(id);
  }

  /**
   * Rotates a key in one step: a new key (`fresh`: its id and hash) with the old one's name, scopes, expiry,
   * rate limit and origins, while the old one now expires at `graceEndsAt` (or its own expiry, if sooner); 0 grace revokes it.
   */
  rotateKey(
    id: string,
    fresh: { id: string; hash: string; prefix: string },
    graceEndsAt: number,
  ): { key: KeyRecord; previous: KeyRecord } | undefined {
    const old = this.store.keyById(id);
    const now = Date.now();
    if (!old || old.revokedAt || (old.expiresAt !== null && Date.parse(old.expiresAt) <= now)) return undefined;
    const oldExpiry = old.expiresAt === null ? null : Date.parse(old.expiresAt);
    this.transaction(() => {
      this.store.insertKey(
        {
          ...fresh,
          name: old.name,
          scopes: old.scopes,
          expiresAt: oldExpiry,
          requestsPerMinute: old.requestsPerMinute,
          allowedOrigins: old.allowedOrigins,
        },
        now,
      );
      if (graceEndsAt <= now) this.store.revokeKey(id, now);
      else this.store.updateKey(id, { expiresAt: Math.min(graceEndsAt, oldExpiry ?? graceEndsAt) });
    });
    return { key: this.store.keyById(fresh.id)!, previous: this.store.keyById(id)! };
  }

  /**
   * Deletes the tenant: every key is revoked at once and the tenant is gone for every route. The answer carries
   * what the operator may still need (its keys and its whole usage ledger, by day); the rows stay in storage.
   */
  deleteTenant(): { tenant: Tenant; keys: KeyRecord[]; usage: UsageReport } | undefined {
    const tenant = this.store.tenant();
    if (!tenant) return undefined;
    const now = Date.now();
    const usage = this.usage({ from: 0, to: now + 1, granularity: "day" })!;
    this.transaction(() => this.store.deleteTenant(now));
    return { tenant, keys: this.store.keys(), usage };
  }

  keys(): KeyRecord[] {
    return this.store.keys();
  }

  revokeKey(id: string): KeyRecord | undefined {
    this.store.revokeKey(id, Date.now());
    return this.store.keyById(id);
  }

  /** Checks a key without metering (listing models, reading usage); scope `*` accepts any active key. */
  authorize(keyHash: string, need: KeyNeed): AuthorizeResult {
    const key = this.activeKey(keyHash, need, Date.now());
    if ("kind" in key) return key;
    return { kind: "authorized", keyId: key.id, tenantId: key.tenantId, scopes: key.scopes };
  }

  begin(request: BeginRequest): BeginResult {
    const now = Date.now();
    this.receive(request.leasing, now);
    const idempotency = request.idempotency && this.store.idempotency(request.idempotency.key);
    if (idempotency) {
      const key = this.activeKey(request.keyHash, request, now);
      if ("kind" in key) return key;
      if (idempotency.fingerprint !== request.idempotency!.fingerprint) {
        return {
          kind: "rejected",
          code: "idempotency_key_reused",
          message: "this Idempotency-Key was used with a different request",
        };
      }
      if (idempotency.response) return { kind: "replay", response: idempotency.response };
      if (this.store.event(idempotency.eventId)?.status !== "unsettled") {
        return {
          kind: "rejected",
          code: "idempotency_in_progress",
          message: "a request with this Idempotency-Key is still running",
          retryAfterSeconds: 1,
        };
      }
      // its first run was charged unsettled (the Worker died): this retry runs and is charged instead
      this.transaction(() => {
        this.store.refund(this.store.event(idempotency.eventId)!, "retried with the same Idempotency-Key", now);
        this.store.forgetIdempotency(idempotency.eventId);
      });
    }
    const admitted = this.admitAndRecord(request, now, (event) => {
      this.store.reserve(event, now);
      if (request.idempotency)
        this.store.insertIdempotency(request.idempotency.key, request.idempotency.fingerprint, event.id, now);
    });
    if (admitted.kind === "rejected") return admitted;
    this.scheduleCleanup(now + RESERVATION_TTL_MS);
    return { ...admitted, ...this.leaseNews(request.leasing, now), kind: "admitted" };
  }

  /**
   * Admits and charges a request the response cache answered, in one step: the same checks as `begin`, then the
   * units are committed at once (nothing can fail after a hit is found, so there is nothing to reserve).
   */
  chargeCached(request: ChargeRequest): ChargeResult {
    const now = Date.now();
    this.receive(request.leasing, now);
    const charged = this.admitAndRecord(request, now, (event) => this.store.commit(event, true, now));
    if (charged.kind === "rejected") return charged;
    return { ...charged, ...this.leaseNews(request.leasing, now), kind: "charged" };
  }

  /** A leased isolate's background call: its usage batches and hand-backs in, and a new lease out if it asks. */
  sync(leasing: Leasing): LeaseNews {
    const now = Date.now();
    this.receive(leasing, now);
    return this.leaseNews(leasing, now);
  }

  private receive(leasing: Leasing | undefined, now: number): void {
    if (leasing && (leasing.batches?.length || leasing.caps?.length))
      this.transaction(() => this.leases.receive(leasing, now));
  }

  private leaseNews(leasing: Leasing | undefined, now: number): LeaseNews {
    const tenant = this.store.tenant();
    const metering = tenant?.metering ?? "exact";
    if (!tenant || !leasing?.want) return { metering };
    let lease: LeaseNews["lease"];
    this.transaction(() => {
      lease = this.leases.grant(tenant, leasing.want!, now);
    });
    if (lease) this.scheduleCleanup(this.leases.nextDeadline()!);
    return { metering, lease };
  }

  /** Admits the request and, in one transaction, takes its rate-limit token and records its event with `record`. */
  private admitAndRecord(request: ChargeRequest, now: number, record: (event: LedgerEvent) => void) {
    const admitted = this.admit(request, now);
    if (admitted.kind === "rejected") return admitted;
    const { key, rate, month, result } = admitted;
    const event = {
      id: crypto.randomUUID(),
      keyId: key.id,
      model: request.model,
      version: request.version,
      units: request.units,
      month,
    };
    this.transaction(() => {
      rate.save();
      record(event);
      if (key.lastUsedMs === null || now - key.lastUsedMs > TOUCH_INTERVAL_MS) this.store.touchKey(key.id, now);
    });
    return { kind: "recorded" as const, eventId: event.id, ...result };
  }

  /** Key status and scope, rate limit, then quota; nothing is written here. */
  private admit(request: ChargeRequest, now: number) {
    const tenant = this.store.tenant();
    const key = this.activeKey(request.keyHash, request, now);
    if ("kind" in key) return key;
    if (!tenant) return UNKNOWN_KEY;

    const month = monthOf(now);
    const rate = this.takeTokens(key, tenant.limits.requestsPerMinute, now);
    const rateLimit = { limit: rate.limit, remaining: rate.remaining, resetSeconds: rate.resetSeconds };
    const used = this.store.monthUsage(month);
    const left = tenant.limits.monthlyUnits - used.committed - used.reserved;
    const quota = (remaining: number): QuotaState => ({
      limit: tenant.limits.monthlyUnits,
      remaining,
      resetSeconds: secondsToNextMonth(now),
    });

    if (!rate.allowed) {
      rate.save();
      return {
        kind: "rejected",
        code: "rate_limited",
        message: `${rate.whose} rate limit of ${rate.limit} requests per minute reached`,
        retryAfterSeconds: rate.retryAfterSeconds,
        rateLimit,
        quota: quota(Math.max(0, left)),
      } satisfies Rejection;
    }
    if (request.units > left) {
      const message = `monthly quota of ${tenant.limits.monthlyUnits} units reached (${Math.max(0, left)} left, this request needs ${request.units})`;
      return {
        kind: "rejected",
        code: "quota_exceeded",
        message,
        retryAfterSeconds: secondsToNextMonth(now),
        rateLimit,
        quota: quota(Math.max(0, left)),
      } satisfies Rejection;
    }
    return {
      kind: "admitted" as const,
      key,
      rate,
      month,
      result: { keyId: key.id, units: request.units, rateLimit, quota: quota(left - request.units) },
    };
  }

  /**
   * A token from the tenant's bucket and, when the key has its own rate limit, from the key's too: both or neither
   * (a request refused by one takes nothing from the other). The decision reported is the tighter bucket's.
   */
  private takeTokens(key: KeyRecord, tenantRpm: number, now: number) {
    const tenantRate = takeToken(this.store.bucket(), tenantRpm, now);
    const keyRpm = key.requestsPerMinute;
    if (keyRpm === null)
      return { ...tenantRate, whose: "the tenant's", save: () => this.store.saveBucket(tenantRate.bucket) };
    const keyRate = takeToken(this.store.keyBucket(key.id), keyRpm, now);
    const allowed = tenantRate.allowed && keyRate.allowed;
    const tighter =
      !keyRate.allowed || (tenantRate.allowed && keyRate.remaining < tenantRate.remaining) ? keyRate : tenantRate;
    return {
      ...tighter,
      allowed,
      whose: tighter === keyRate ? "the key's" : "the tenant's",
      save: () => {
        if (allowed) {
          this.store.saveBucket(tenantRate.bucket);
          this.store.saveKeyBucket(key.id, keyRate.bucket);
        }
      },
    };
  }

  /** Settles an admitted request exactly once; a second call for the same event changes nothing. */
  complete(eventId: string, outcome: Outcome): boolean {
    const event = this.store.event(eventId);
    if (event?.status !== "pending") return false;
    const now = Date.now();
    this.transaction(() => {
      if (outcome.kind === "commit") {
        this.store.settle(event, "committed", outcome.cached, null, now);
        if (outcome.response) this.store.storeIdempotentResponse(eventId, outcome.response);
      } else {
        this.store.settle(event, "released", false, outcome.reason, now);
        this.store.forgetIdempotency(eventId);
      }
    });
    return true;
  }

  /** Charges made because their settlement never arrived, newest first. */
  unsettled(): UnsettledCharge[] {
    return this.store.unsettled(MAX_UNSETTLED_LISTED);
  }

  /** Gives an unsettled charge back to the tenant's quota; `conflict` when the charge is not unsettled. */
  refund(eventId: string, reason: string): { refunded: boolean; found: boolean } {
    const event = this.store.event(eventId);
    if (!event) return { refunded: false, found: false };
    if (event.status !== "unsettled") return { refunded: false, found: true };
    this.transaction(() => {
      this.store.refund(event, reason, Date.now());
      this.store.forgetIdempotency(eventId);
    });
    return { refunded: true, found: true };
  }

  usage(query: UsageQuery): UsageReport | undefined {
    const tenant = this.store.tenant();
    if (!tenant) return undefined;
    const rows = this.store.usage(query);
    const sum = (field: keyof UsageReport["totals"]) => rows.reduce((n, r) => n + r[field], 0);
    const month = monthOf(Date.now());
    const current = this.store.monthUsage(month);
    return {
      tenantId: tenant.id,
      from: new Date(query.from).toISOString(),
      to: new Date(query.to).toISOString(),
      granularity: query.granularity,
      rows,
      totals: {
        requests: sum("requests"),
        units: sum("units"),
        cachedRequests: sum("cachedRequests"),
        cachedUnits: sum("cachedUnits"),
        unsettledRequests: sum("unsettledRequests"),
        unsettledUnits: sum("unsettledUnits"),
      },
      month: {
        month,
        committedUnits: current.committed,
        reservedUnits: current.reserved,
        leasedUnits: this.leases.leasedUnits(month),
        unsettledUnits: this.store.unsettledUnits(month),
        limit: tenant.limits.monthlyUnits,
      },
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.transaction(() => {
      for (const event of this.store.pendingOlderThan(now - RESERVATION_TTL_MS))
        this.store.settle(event, "unsettled", false, "the Worker never settled this request", now);
      this.leases.chargeUnreported(now);
      this.store.expireIdempotency(now - IDEMPOTENCY_TTL_MS);
      this.leases.forgetBefore(now - BATCH_MEMORY_MS);
    });
    const oldest = this.store.oldestPending();
    const deadlines = [oldest === undefined ? undefined : oldest + RESERVATION_TTL_MS, this.leases.nextDeadline()];
    const next = Math.min(...deadlines.filter((at) => at !== undefined));
    if (Number.isFinite(next)) this.scheduleCleanup(next);
  }

  private activeKey(
    keyHash: string,
    need: KeyNeed,
    now: number,
  ): Rejection | (KeyRecord & { lastUsedMs: number | null; expiresAtMs: number | null }) {
    const key = this.store.keyByHash(keyHash);
    if (!key) return UNKNOWN_KEY;
    return keyRejection(key, need, now) ?? key;
  }

  /** One SQLite transaction; if it fails, the rows kept in memory are dropped with it. */
  private transaction(change: () => void): void {
    try {
      this.ctx.storage.transactionSync(change);
    } catch (error) {
      this.store.forgetCached();
      throw error;
    }
  }

  private scheduleCleanup(at: number): void {
    void this.ctx.storage.getAlarm().then((current) => {
      if (current === null || current > at) return this.ctx.storage.setAlarm(at);
    });
  }
}
