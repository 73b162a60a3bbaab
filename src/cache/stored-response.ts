/**
 * How a response is stored in KV: the body is the value itself, and the head (status, headers, when it was
 * produced, its TTL, the body's length) is the key's metadata. A hit streams the value from KV straight into the
 * response, so a cached body never passes through the isolate's heap. Metadata that does not parse back is
 * treated as absent, never as an error.
 */

export interface StoredHead {
  status: number;
  headers: [string, string][];
  /** Epoch milliseconds when it was produced. */
  storedAt: number;
  ttlSeconds: number;
  /** Length of the body (the KV value). */
  bytes: number;
}

/** KV refuses metadata over 1024 bytes of JSON. */
export const MAX_METADATA_BYTES = 1024;
const FORMAT = 2;

interface Metadata {
  v: number;
  s: number;
  h: [string, string][];
  t: number;
  ttl: number;
  n: number;
}

/** The metadata to store with a body, or `undefined` when the head is too large for KV metadata. */
export function encodeHead(head: StoredHead): Metadata | undefined {
  const metadata: Metadata = {
    v: FORMAT,
    s: head.status,
    h: head.headers,
    t: head.storedAt,
    ttl: head.ttlSeconds,
    n: head.bytes,
  };
  return new TextEncoder().encode(JSON.stringify(metadata)).byteLength <= MAX_METADATA_BYTES ? metadata : undefined;
}

export function decodeHead(metadata: unknown): StoredHead | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const { v, s, h, t, ttl, n } = metadata as Partial<Metadata>;
  const validHeaders =
    Array.isArray(h) &&
    h.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string");
  if (v !== FORMAT || typeof s !== "number" || s < 200 || s > 299 || !validHeaders) return undefined;
  if (typeof t !== "number" || typeof ttl !== "number" || typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
    return undefined;
  return { status: s, headers: h, storedAt: t, ttlSeconds: ttl, bytes: n };
}
