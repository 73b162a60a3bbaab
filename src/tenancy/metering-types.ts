/**
 * The messages between the Worker and a tenant's Durable Object for one metered request. Plain data: they
 * cross a Durable Object RPC boundary, where class instances and thrown error types do not survive.
 */
import type { MeteringMode } from "./schemas";

export type RejectionCode =
  | "unknown_key"
  | "expired_key"
  | "revoked_key"
  | "insufficient_scope"
  | "origin_not_allowed"
  | "rate_limited"
  | "quota_exceeded"
  | "idempotency_key_reused"
  | "idempotency_in_progress";

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export interface QuotaState {
  limit: number;
  /** Units left this month after this request's charge. */
  remaining: number;
  resetSeconds: number;
}

export interface Rejection {
  kind: "rejected";
  code: RejectionCode;
  message: string;
  retryAfterSeconds?: number;
  rateLimit?: RateLimitState;
  quota?: QuotaState;
}

export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

export interface BeginRequest {
  keyHash: string;
  /** The scope this call needs (`infer`); `infer:{model}` also satisfies it for that model. */
  scope: string;
  model: string;
  version: string;
  units: number;
  /** The request's `Origin` header (`null`: none), for keys bound to web origins. */
  origin: string | null;
  idempotency?: { key: string; fingerprint: string };
  /** From an isolate of a leased tenant: what it hands back of its leases, and the lease it would like next. */
  leasing?: Leasing;
}

/** What every exact admission answers besides its verdict: the tenant's metering mode, and a lease if granted. */
export interface LeaseNews {
  metering: MeteringMode;
  lease?: LeaseGrant;
}

export interface Charge {
  eventId: string;
  keyId: string;
  units: number;
  rateLimit: RateLimitState;
  quota: QuotaState;
}

export type BeginResult =
  | Rejection
  | { kind: "replay"; response: StoredResponse }
  | ({ kind: "admitted" } & Charge & LeaseNews);

/** A request answered from the response cache: admitted and charged in one step (no idempotency key). */
export type ChargeRequest = Omit<BeginRequest, "idempotency">;
export type ChargeResult = Rejection | ({ kind: "charged" } & Charge & LeaseNews);

/**
 * Leased metering. An isolate holds a lease: a block of quota units and rate tokens carved from what the tenant
 * has left, valid for a short TTL, with the grants of the keys it may admit. It admits requests from it with no
 * round trip and reports what it used in batches with unique ids, so that a batch sent twice counts once.
 */
export interface LeaseWant {
  /** The isolate asking (a random id per isolate; for diagnostics). */
  holder: string;
  units: number;
  tokens: number;
  /** Keys (by hash) the isolate has seen for this tenant; the lease carries the grants of those still valid. */
  keyHashes: string[];
}

/** A key a lease lets the isolate admit, with what it needs to check the key itself (see key-check.ts). */
export interface KeyGrant {
  hash: string;
  id: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  expiresAtMs: number | null;
  allowedOrigins: string[] | null;
}

export interface LeaseGrant {
  id: string;
  units: number;
  tokens: number;
  /** Milliseconds the lease is valid for, from when the object granted it. */
  ttlMs: number;
  keys: KeyGrant[];
  /** The tenant's quota and rate limit with this lease taken out. */
  quota: QuotaState;
  rateLimit: RateLimitState;
}

/**
 * The most of a lease its isolate will still use: what it has admitted from it so far. The rest goes back to the
 * tenant at once. Absolute rather than a difference, so that sending it twice is harmless.
 */
export interface LeaseCap {
  leaseId: string;
  units: number;
  tokens: number;
}

/** Requests of one key, model, version and hour, admitted from a lease and answered. */
export interface UsageLine {
  keyId: string;
  model: string;
  version: string;
  cached: boolean;
  requests: number;
  units: number;
  /** When the first of them was answered (epoch ms). */
  at: number;
}

export interface UsageBatch {
  /** Unique: a batch is applied once, however often it is sent. */
  id: string;
  leaseId: string;
  lines: UsageLine[];
  /** The lease's last batch: what it did not use goes back to the tenant. */
  final: boolean;
}

export interface Leasing {
  batches?: UsageBatch[];
  caps?: LeaseCap[];
  want?: LeaseWant;
}

export type Outcome =
  | { kind: "commit"; cached: boolean; response?: StoredResponse }
  | { kind: "release"; reason: string };

export type AuthorizeResult = Rejection | { kind: "authorized"; keyId: string; tenantId: string; scopes: string[] };

export interface UsageQuery {
  from: number;
  to: number;
  granularity: "hour" | "day";
}

export interface UsageRow extends UsageCounts {
  start: string;
  model: string;
  version: string;
  keyId: string;
}

export interface UsageCounts {
  requests: number;
  units: number;
  cachedRequests: number;
  cachedUnits: number;
  /** Charges whose settlement never arrived (included in `requests` and `units`); refundable. */
  unsettledRequests: number;
  unsettledUnits: number;
}

/** A charge made because its settlement never arrived, as operators see it. */
export interface UnsettledCharge {
  id: string;
  /** `*` for what a lease's holder never reported. */
  keyId: string;
  model: string;
  version: string;
  units: number;
  createdAt: string;
  reason: string;
}

export interface UsageReport {
  tenantId: string;
  from: string;
  to: string;
  granularity: "hour" | "day";
  rows: UsageRow[];
  totals: UsageCounts;
  /** This month's quota position, including requests reserved but not yet committed. */
  month: {
    month: string;
    committedUnits: number;
    /** Units admitted but not settled yet: running requests and leases held by isolates. */
    reservedUnits: number;
    /** The part of `reservedUnits` held in leases. */
    leasedUnits: number;
    /** The part of `committedUnits` charged unsettled. */
    unsettledUnits: number;
    limit: number;
  };
}
