/**
 * API keys: `emk_live_` + 32 random bytes in base64url (43 characters). Only the SHA-256 of a key and a short
 * display prefix are ever stored; the plaintext exists once, in the creation response.
 */

export const KEY_PREFIX = "emk_live_";
const KEY_PATTERN = /^emk_live_[A-Za-z0-9_-]{43}$/;
const DISPLAY_CHARS = 6;

export interface NewKey {
  plaintext: string;
  hash: string;
  /** What operators and users see in listings, e.g. `emk_live_Ab3xY9…`. */
  displayPrefix: string;
}

export async function generateKey(): Promise<NewKey> {
  const plaintext = KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { plaintext, hash: await hashKey(plaintext), displayPrefix: displayPrefix(plaintext) };
}

/** True when `value` has the shape of one of our keys; checked before any lookup. */
export function isWellFormedKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

export async function hashKey(plaintext: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(plaintext));
  return hex(new Uint8Array(digest));
}

export function displayPrefix(plaintext: string): string {
  return `${plaintext.slice(0, KEY_PREFIX.length + DISPLAY_CHARS)}…`;
}

/** A random identifier such as `ten_3f9a…` (16 random bytes, hex). */
export function randomId(prefix: "ten" | "key"): string {
  return `${prefix}_${hex(crypto.getRandomValues(new Uint8Array(16)))}`;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
