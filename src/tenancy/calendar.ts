/** Quota months are calendar months in UTC. */

/** `2026-11` for any instant in November 2026 (UTC). */
export function monthOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** Seconds from `epochMs` to the start of the next UTC month, when a monthly quota resets. */
export function secondsToNextMonth(epochMs: number): number {
  const d = new Date(epochMs);
  return Math.ceil((Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - epochMs) / 1000);
}

export function startOfMonth(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function startOfNextMonth(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
