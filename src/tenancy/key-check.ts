/**
 * Whether an API key may make a call: its status, expiry and scopes. One function for both metering modes: the
 * tenant's Durable Object runs it on every exact admission, and an isolate runs it on the key grants a lease
 * carries, so a rule added here (a key's allowed origins, say) holds in both.
 */
import type { Rejection } from "./metering-types";

/** What the check needs to know of a key. */
export interface KeyState {
  id: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  expiresAtMs: number | null;
  revokedAt?: string | null;
}

/** What a call needs: a scope (`*` accepts any active key), and the model it is for (`infer:{model}` scopes). */
export interface KeyNeed {
  scope: string;
  model?: string;
}

/** The rejection for this key and call at `now`, or `undefined` when the key may make it. */
export function keyRejection(key: KeyState, need: KeyNeed, now: number): Rejection | undefined {
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

export const UNKNOWN_KEY: Rejection = { kind: "rejected", code: "unknown_key", message: "the API key is not valid" };
