/**
 * Response-cache keys: a SHA-256 over everything that decides a response's bytes, and whose it is. The weights'
 * digest (not the version name) makes a new version miss; the tenant id keeps each tenant's entries apart. 68 bytes, far
 * under KV's 512-byte key limit.
 */

export interface CacheKeyParts {
  model: string;
  /** sha256 of the resolved version's weights. */
  weights: string;
  /** The API the response is shaped for (`oip`, or a task name). */
  task: string;
  /** Every request option that changes the response (requested outputs, binary flags, top_k...). */
  options: unknown;
  /** Canonical input bytes: each tensor's datatype, shape and data, or the task's input. */
  inputs: Uint8Array[];
  /** The tenant whose entry this is; absent for an entry tenants share (a public model's `cache.scope: "shared"`). */
  tenantId?: string;
}

const FORMAT = "v1";

export async function cacheKey(parts: CacheKeyParts): Promise<string> {
  const header = new TextEncoder().encode(
    JSON.stringify([
      FORMAT,
      parts.model,
      parts.weights,
      parts.task,
      parts.tenantId ?? null,
      parts.options,
      parts.inputs.map((b) => b.byteLength),
    ]),
  );
  const total = header.byteLength + parts.inputs.reduce((n, b) => n + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  bytes.set(header);
  let offset = header.byteLength;
  for (const input of parts.inputs) {
    bytes.set(input, offset);
    offset += input.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `rc:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
