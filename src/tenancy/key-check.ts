/**
 * Whether an API key may make a call: its status, expiry, the web origin it is called from and its scopes. One
 * function for both metering modes: the tenant's Durable Object runs it on every exact admission, and an isolate
 * runs it on the key grants a lease carries, so a rule added here holds in both.
 */
import { quote } from "../errors";
import type { Rejection } from "./metering-types";
import { originAllowed } from "./origins";

/** What the check needs to know of a key. */
export interface KeyState {
  id: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  expiresAtMs: number | null;
  revokedAt?: string | null;
  /** The web origins the key may be called from (see origins.ts); `null`: any, or none. */
  allowedOrigins: string[] | null;
}

/**
 * What a call needs: a scope (`*` accepts any active key), the model it is for (`infer:{model}` scopes), and the
 * request's `Origin` header (`null` when it has none), checked against an origin-bound key's `allowedOrigins`.
 */
export interface KeyNeed {
  scope: string;
  model?: string;
  origin: string | null;
}

/** The rejection for this key and call at `now`, or `undefined` when the key may make it. */
export function keyRejection(key: KeyState, need: KeyNeed, now: number): Rejection | undefined {
  const status = keyStatusRejection(key, now);
  if (status) return status;
  if (key.allowedOrigins && !originAllowed(need.origin, key.allowedOrigins))
    return {
      kind: "rejected",
      code: "origin_not_allowed",
      message:
        need.origin === null
          ? `the API key ${key.prefix} is bound to web origins and this request has no Origin header`
          : `the API key ${key.prefix} may not be used from the origin ${quote(need.origin)}`,
    };
  const { scope, model } = need;
  const allowed =
    scope === "*" || key.scopes.includes(scope) || (model !== undefined && key.scopes.includes(`${scope}:${model}`));
  if (!allowed)
    return {
      kind: "rejected",
      code: "insufficient_scope",
      message: `the API key lacks the '${model ? `${scope}' or '${scope}:${model}` : scope}' scope`,
    };
  return undefined;
}

/** A revoked or expired key's rejection, whatever the call (a lease carries only keys that pass this). */
export function keyStatusRejection(key: KeyState, now: number): Rejection | undefined {
  if (key.revokedAt)
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
  return undefined;
}

export const UNKNOWN_KEY: Rejection = { kind: "rejected", code: "unknown_key", message: "the API key is not valid" };
