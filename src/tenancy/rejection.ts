/**
 * How a tenancy verdict reads over HTTP: a rejection becomes an `AppError` with its `RateLimit-*` and `X-Quota-*`
 * headers, and an admission's charge becomes the same headers on the response.
 */
import { AppError, type ErrorCode } from "../errors";
import type { QuotaState, RateLimitState, Rejection } from "./metering-types";

export function rejectionError(rejection: Rejection): AppError {
  const headers = {
    ...(rejection.rateLimit ? rateLimitHeaders(rejection.rateLimit) : {}),
    ...(rejection.quota ? quotaHeaders(rejection.quota) : {}),
  };
  return new AppError(rejection.code satisfies ErrorCode, rejection.message, {
    retryAfterSeconds: rejection.retryAfterSeconds,
    headers,
  });
}

export function chargeHeaders(result: {
  rateLimit: RateLimitState;
  quota: QuotaState;
  units: number;
}): Record<string, string> {
  return { ...rateLimitHeaders(result.rateLimit), ...quotaHeaders(result.quota), "X-Units": String(result.units) };
}

function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    "RateLimit-Limit": String(state.limit),
    "RateLimit-Remaining": String(state.remaining),
    "RateLimit-Reset": String(state.resetSeconds),
  };
}

function quotaHeaders(state: QuotaState): Record<string, string> {
  return {
    "X-Quota-Limit": String(state.limit),
    "X-Quota-Remaining": String(state.remaining),
    "X-Quota-Reset": String(state.resetSeconds),
  };
}
