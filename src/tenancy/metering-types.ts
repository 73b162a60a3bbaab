/**
 * The messages between the Worker and a tenant's Durable Object for one metered request. Plain data: they
 * cross a Durable Object RPC boundary, where class instances and thrown error types do not survive.
 */

export type RejectionCode =
  | "unknown_key"
  | "expired_key"
  | "revoked_key"
  | "insufficient_scope"
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
  idempotency?: { key: string; fingerprint: string };
}

export type BeginResult =
  | Rejection
  | { kind: "replay"; response: StoredResponse }
  | { kind: "admitted"; eventId: string; keyId: string; units: number; rateLimit: RateLimitState; quota: QuotaState };

/** A request answered from the response cache: admitted and charged in one step (no idempotency key). */
export type ChargeRequest = Omit<BeginRequest, "idempotency">;
export type ChargeResult =
  | Rejection
  | { kind: "charged"; eventId: string; keyId: string; units: number; rateLimit: RateLimitState; quota: QuotaState };

export type Outcome =
  | { kind: "commit"; cached: boolean; response?: StoredResponse }
  | { kind: "release"; reason: string };

export type AuthorizeResult = Rejection | { kind: "authorized"; keyId: string; tenantId: string; scopes: string[] };

export interface UsageQuery {
  from: number;
  to: number;
  granularity: "hour" | "day";
}

export interface UsageRow {
  start: string;
  model: string;
  keyId: string;
  requests: number;
  units: number;
  cachedRequests: number;
  cachedUnits: number;
}

export interface UsageReport {
  tenantId: string;
  from: string;
  to: string;
  granularity: "hour" | "day";
  rows: UsageRow[];
  totals: { requests: number; units: number; cachedRequests: number; cachedUnits: number };
  /** This month's quota position, including requests reserved but not yet committed. */
  month: { month: string; committedUnits: number; reservedUnits: number; limit: number };
}
