/**
 * Token bucket: `requestsPerMinute` tokens of capacity, refilled continuously at `requestsPerMinute / 60` per
 * second. Pure; the tenant's Durable Object keeps the state, so the decision is exact. Leases take a block of
 * tokens at once and give back what their isolate did not use.
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

/** The bucket as it stands at `now` (a bucket never seen is full). */
export function refill(previous: Bucket | undefined, requestsPerMinute: number, now: number): Bucket {
  const elapsed = previous ? Math.max(0, now - previous.updatedAt) : 0;
  const tokens = Math.min(
    requestsPerMinute,
    (previous?.tokens ?? requestsPerMinute) + (elapsed * requestsPerMinute) / 60_000,
  );
  return { tokens, updatedAt: now };
}

export function takeToken(previous: Bucket | undefined, requestsPerMinute: number, now: number): RateDecision {
  const available = refill(previous, requestsPerMinute, now).tokens;
  const allowed = available >= 1;
  const bucket = { tokens: allowed ? available - 1 : available, updatedAt: now };
  const perMs = requestsPerMinute / 60_000;
  return {
    allowed,
    bucket,
    ...rateState(bucket, requestsPerMinute),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
  };
}

/** Limit, whole tokens left and seconds to a full bucket: the `RateLimit-*` headers. */
export function rateState(bucket: Bucket, requestsPerMinute: number) {
  const perMs = requestsPerMinute / 60_000;
  return {
    limit: requestsPerMinute,
    remaining: Math.floor(bucket.tokens),
    resetSeconds: Math.ceil((requestsPerMinute - bucket.tokens) / perMs / 1000),
  };
}

/** Puts unused tokens back (never above capacity). */
export function giveBack(previous: Bucket | undefined, requestsPerMinute: number, now: number, tokens: number): Bucket {
  const bucket = refill(previous, requestsPerMinute, now);
  return { tokens: Math.min(requestsPerMinute, bucket.tokens + tokens), updatedAt: now };
}
