/**
 * One Durable Object per tenant: the single source of truth for its keys' status, its limits and its usage
 * ledger. A request is admitted by `begin` (key status, scope, rate limit, quota reservation, idempotency, all
 * in one exact step) and settled by `complete` (commit or release). Reservations whose Worker never settles them
 * are released by the alarm after RESERVATION_TTL_MS.
 */
import { DurableObject } from "cloudflare:workers";
import { monthOf, secondsToNextMonth } from "./calendar";
import type {
  AuthorizeResult,
  BeginRequest,
  BeginResult,
  ChargeRequest,
  ChargeResult,
  Outcome,
  QuotaState,
  Rejection,
  UsageQuery,
  UsageReport,
} from "./metering-types";
import { takeToken } from "./rate-limit";
import type { KeyRecord, Limits, Tenant } from "./schemas";
import { type LedgerEvent, TenantStore } from "./tenant-store";

const RESERVATION_TTL_MS = 5 * 60_000;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** `last_used_at` is written at most this often per key, to keep writes off the hot path. */
const TOUCH_INTERVAL_MS = 60_000;

export class TenantObject extends DurableObject<Env> {
  private readonly store: TenantStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new TenantStore(ctx.storage.sql);
  }

  setup(id: string, name: string, limits: Limits): Tenant {
    if (!this.store.tenant()) this.store.insertTenant(id, name, limits, Date.now());
    return this.store.tenant()!;
  }

  tenant(): Tenant | undefined {
    return this.store.tenant();
  }

  update(patch: { name?: string; limits?: Partial<Limits> }): Tenant | undefined {
    const current = this.store.tenant();
    if (!current) return undefined;
    this.store.updateTenant(patch.name ?? current.name, { ...current.limits, ...patch.limits });
    return this.store.tenant();
  }

  addKey(key: {
    id: string;
    hash: string;
    prefix: string;
    name: string;
    scopes: string[];
    expiresAt: number | null;
  }): KeyRecord {
    this.store.insertKey(key, Date.now());
    return this.store.keyById(key.id)!;
  }

  keys(): KeyRecord[] {
    return this.store.keys();
  }

  revokeKey(id: string): KeyRecord | undefined {
    this.store.revokeKey(id, Date.now());
    return this.store.keyById(id);
  }

  /** Checks a key without metering (listing models, reading usage); scope `*` accepts any active key. */
  authorize(keyHash: string, scope: string, model?: string): AuthorizeResult {
    const key = this.activeKey(keyHash, scope, Date.now(), model);
    if ("kind" in key) return key;
    return { kind: "authorized", keyId: key.id, tenantId: key.tenantId, scopes: key.scopes };
  }

  begin(request: BeginRequest): BeginResult {
    const now = Date.now();
    const idempotency = request.idempotency && this.store.idempotency(request.idempotency.key);
    if (idempotency) {
      const key = this.activeKey(request.keyHash, request.scope, now, request.model);
      if ("kind" in key) return key;
      if (idempotency.fingerprint !== request.idempotency!.fingerprint) {
        return {
          kind: "rejected",
          code: "idempotency_key_reused",
          message: "this Idempotency-Key was used with a different request",
        };
      }
      if (!idempotency.response) {
        return {
          kind: "rejected",
          code: "idempotency_in_progress",
          message: "a request with this Idempotency-Key is still running",
          retryAfterSeconds: 1,
        };
      }
      return { kind: "replay", response: idempotency.response };
    }
    const admitted = this.admitAndRecord(request, now, (event) => {
      this.store.reserve(event, now);
      if (request.idempotency)
        this.store.insertIdempotency(request.idempotency.key, request.idempotency.fingerprint, event.id, now);
    });
    if (admitted.kind === "rejected") return admitted;
    this.scheduleCleanup(now + RESERVATION_TTL_MS);
    return { ...admitted, kind: "admitted" };
  }

  /**
   * Admits and charges a request the response cache answered, in one step: the same checks as `begin`, then the
   * units are committed at once (nothing can fail after a hit is found, so there is nothing to reserve).
   */
  chargeCached(request: ChargeRequest): ChargeResult {
    const now = Date.now();
    const charged = this.admitAndRecord(request, now, (event) => this.store.commitCached(event, now));
    return charged.kind === "rejected" ? charged : { ...charged, kind: "charged" };
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
      this.store.saveBucket(rate.bucket);
      record(event);
      if (key.lastUsedMs === null || now - key.lastUsedMs > TOUCH_INTERVAL_MS) this.store.touchKey(key.id, now);
    });
    return { kind: "recorded" as const, eventId: event.id, ...result };
  }

  /** Key status and scope, rate limit, then quota; nothing is written here. */
  private admit(request: ChargeRequest, now: number) {
    const tenant = this.store.tenant();
    const key = this.activeKey(request.keyHash, request.scope, now, request.model);
    if ("kind" in key) return key;
    if (!tenant)
      return { kind: "rejected", code: "unknown_key", message: "the API key is not valid" } satisfies Rejection;

    const month = monthOf(now);
    const rate = takeToken(this.store.bucket(), tenant.limits.requestsPerMinute, now);
    const rateLimit = { limit: rate.limit, remaining: rate.remaining, resetSeconds: rate.resetSeconds };
    const used = this.store.monthUsage(month);
    const left = tenant.limits.monthlyUnits - used.committed - used.reserved;
    const quota = (remaining: number): QuotaState => ({
      limit: tenant.limits.monthlyUnits,
      remaining,
      resetSeconds: secondsToNextMonth(now),
    });

    if (!rate.allowed) {
      this.store.saveBucket(rate.bucket);
      return {
        kind: "rejected",
        code: "rate_limited",
        message: `rate limit of ${rate.limit} requests per minute reached`,
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

  usage(query: UsageQuery): UsageReport | undefined {
    const tenant = this.store.tenant();
    if (!tenant) return undefined;
    const rows = this.store.usage(query);
    const sum = (field: "requests" | "units" | "cachedRequests" | "cachedUnits") =>
      rows.reduce((n, r) => n + r[field], 0);
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
      },
      month: {
        month,
        committedUnits: current.committed,
        reservedUnits: current.reserved,
        limit: tenant.limits.monthlyUnits,
      },
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.transaction(() => {
      for (const event of this.store.pendingOlderThan(now - RESERVATION_TTL_MS)) {
        this.store.settle(event, "abandoned", false, "the Worker never settled this request", now);
        this.store.forgetIdempotency(event.id);
      }
      this.store.expireIdempotency(now - IDEMPOTENCY_TTL_MS);
    });
    const oldest = this.store.oldestPending();
    if (oldest !== undefined) this.scheduleCleanup(oldest + RESERVATION_TTL_MS);
  }

  private activeKey(
    keyHash: string,
    scope: string,
    now: number,
    model?: string,
  ): Rejection | (KeyRecord & { lastUsedMs: number | null }) {
    const key = this.store.keyByHash(keyHash);
    if (!key) return { kind: "rejected", code: "unknown_key", message: "the API key is not valid" };
    if (key.revoked)
      return {
        kind: "rejected",
        code: "revoked_key",
        message: `the API key ${key.prefix} was revoked at ${key.revokedAt}`,
      };
    if (key.expiresAtMs !== null && now >= key.expiresAtMs)
      return {
        kind: "rejected",
        code: "expired_key",
        message: `the API key ${key.prefix} expired at ${key.expiresAt}`,
      };
    const allowed =
      scope === "*" || key.scopes.includes(scope) || (model !== undefined && key.scopes.includes(`${scope}:${model}`));
    if (!allowed)
      return {
        kind: "rejected",
        code: "insufficient_scope",
        message: `the API key lacks the '${model ? `${scope}' or '${scope}:${model}` : scope}' scope`,
      };
    return key;
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
