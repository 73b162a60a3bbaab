/**
 * How a response is stored as one KV value: a 4-byte length, a JSON head (status, headers, storedAt, ttl), then
 * the body bytes. Anything that does not parse back is treated as absent, never as an error.
 */

export interface StoredResponse {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
  /** Epoch milliseconds when it was produced. */
  storedAt: number;
  ttlSeconds: number;
}

export function encodeStored(response: StoredResponse): ArrayBuffer {
  const head = new TextEncoder().encode(JSON.stringify({ s: response.status, h: response.headers, t: response.storedAt, ttl: response.ttlSeconds }));
  const out = new Uint8Array(4 + head.byteLength + response.body.byteLength);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  out.set(new Uint8Array(response.body), 4 + head.byteLength);
  return out.buffer;
}

export function decodeStored(value: ArrayBuffer): StoredResponse | undefined {
  try {
    if (value.byteLength < 4) return undefined;
    const headLength = new DataView(value).getUint32(0, true);
    if (4 + headLength > value.byteLength) return undefined;
    const head = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(new Uint8Array(value, 4, headLength))) as Record<string, unknown>;
    const { s, h, t, ttl } = head;
    const validHeaders = Array.isArray(h) && h.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && typeof p[1] === "string");
    if (typeof s !== "number" || s < 200 || s > 299 || !validHeaders || typeof t !== "number" || typeof ttl !== "number") return undefined;
    return { status: s, headers: h as [string, string][], body: value.slice(4 + headLength), storedAt: t, ttlSeconds: ttl };
  } catch {
    return undefined;
  }
}
