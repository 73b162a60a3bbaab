/**
 * Token bucket: `requestsPerMinute` tokens of capacity, refilled continuously at `requestsPerMinute / 60` per
 * second. Pure; the tenant's Durable Object keeps the state, so the decision is exact.
 */

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface RateDecision {
  allowed: boolean;
  bucket: Bucket;
  limit: number;
  /** Whole requests still allowed right now. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one more request is allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export function takeToken(previous: Bucket | undefined, requestsPerMinute: number, now: number): RateDecision {
  const perMs = requestsPerMinute / 60_000;
  const elapsed = previous ? Math.max(0, now - previous.updatedAt) : 0;
  const available = Math.min(requestsPerMinute, (previous?.tokens ?? requestsPerMinute) + elapsed * perMs);
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return {
    allowed,
    bucket: { tokens, updatedAt: now },
    limit: requestsPerMinute,
    remaining: Math.floor(tokens),
    resetSeconds: Math.ceil((requestsPerMinute - tokens) / perMs / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
  };
}
