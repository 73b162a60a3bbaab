/**
 * Canary splits: an alias may send its traffic to several versions by weight (`{"1": 90, "int8": 10}`). Which
 * version serves a request is drawn per request, or, when the caller names a sticky key (`X-Routing-Key`, else an
 * `Idempotency-Key`), read from a hash of that key, so one user or one retried request always meets one version.
 * Versions take their share of [0, 1) in name order: moving weight between two versions moves only the keys in
 * the slice that changed hands.
 */
import { versionNames } from "./manifest";

/** Version name → weight (non-negative; at least one positive). */
export type TrafficWeights = Record<string, number>;

/**
 * The version a request goes to.
 *
 * @param salt   keeps splits of different models independent (the model and alias names)
 * @param sticky a caller's routing key: the same key always lands on the same version while the weights stand
 * @example drawVersion({ "1": 90, int8: 10 }, "mnist-digits default", "user-42") // "1" or "int8", always the same
 */
export function drawVersion(weights: TrafficWeights, salt: string, sticky?: string): string {
  const names = versionNames({ versions: weights }).filter((name) => weights[name]! > 0);
  const total = names.reduce((sum, name) => sum + weights[name]!, 0);
  const point = (sticky === undefined ? Math.random() : unitHash(`${salt}\n${sticky}`)) * total;
  let reached = 0;
  for (const name of names) {
    reached += weights[name]!;
    if (point < reached) return name;
  }
  return names[names.length - 1]!;
}

/** The version with the largest weight (the first by name among equals): what an alias reads as when not drawn. */
export function primaryVersion(weights: TrafficWeights): string {
  let best: string | undefined;
  for (const name of versionNames({ versions: weights }))
    if (best === undefined || weights[name]! > weights[best]!) best = name;
  return best!;
}

/** A string's FNV-1a hash, finished with MurmurHash3's mixer so that similar keys spread evenly, in [0, 1). */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
