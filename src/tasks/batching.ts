/**
 * Running a request's items through a model in as few session calls as pay off, keeping their order.
 */

/**
 * Runs `items` in session calls of at most `maxBatch`, in order.
 * @example
 * const scores = await inBatches(images, limits.maxBatch, async (chunk) => runOnce(chunk)); // one result per item
 */
export async function inBatches<T, R>(
  items: readonly T[],
  maxBatch: number,
  run: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  const size = batchLimit(maxBatch);
  const groups: number[][] = [];
  for (let start = 0; start < items.length; start += size)
    groups.push(range(start, Math.min(items.length, start + size)));
  return runGroups(groups, items.length, (indexes) => run(indexes.map((i) => items[i]!)));
}

/**
 * Sequences padded to a common length cost the model the padding too: 32 texts of 8–50 tokens padded to 50 make
 * 1,600 positions where 717 are real. So texts are sorted by length and cut into the groups that minimize
 * `calls × callCost + Σ rows × longest`: one call when the lengths are close, a few when they are not
 * (text-embeddings-inference and vLLM sort by length for the same reason). `callCost`, in padded positions, is what
 * a session call costs beyond its positions: ~9 for the BERT fixture (DEFAULT_CALL_COST errs towards fewer calls),
 * ~250 for lid-176, whose positions are single embedding-row lookups (docs/design/feature-extraction.md).
 */
export const DEFAULT_CALL_COST = 16;

export interface LengthBatching {
  maxBatch: number;
  callCost: number;
}

/**
 * Runs sequences of the given `lengths` in session calls of at most `maxBatch`, each call holding sequences of
 * similar length; `run` gets the indexes of one call's sequences and the results come back in the original order.
 * @example
 * const rows = await inLengthBatches(encoded.map((e) => e.ids.length), { maxBatch: 32, callCost: 16 }, (indexes) => runPadded(indexes));
 */
export function inLengthBatches<R>(
  lengths: readonly number[],
  batching: LengthBatching,
  run: (indexes: number[]) => Promise<R[]>,
): Promise<R[]> {
  return runGroups(lengthGroups(lengths, batching), lengths.length, run);
}

/** The grouping `inLengthBatches` runs: each group's indexes, shortest group first. */
export function lengthGroups(lengths: readonly number[], { maxBatch, callCost }: LengthBatching): number[][] {
  const limit = batchLimit(maxBatch);
  const order = range(0, lengths.length).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const sorted = order.map((i) => lengths[i]!);
  // cost[i]: cheapest grouping of the i shortest; cut[i]: where its last group starts
  const cost = new Float64Array(sorted.length + 1);
  const cut = new Int32Array(sorted.length + 1);
  for (let end = 1; end <= sorted.length; end++) {
    cost[end] = Infinity;
    for (let start = Math.max(0, end - limit); start < end; start++) {
      const total = cost[start]! + callCost + (end - start) * sorted[end - 1]!;
      if (total < cost[end]!) [cost[end], cut[end]] = [total, start];
    }
  }
  const groups: number[][] = [];
  for (let end = sorted.length; end > 0; end = cut[end]!) groups.unshift(order.slice(cut[end]!, end));
  return groups;
}

async function runGroups<R>(
  groups: readonly number[][],
  count: number,
  run: (indexes: number[]) => Promise<R[]>,
): Promise<R[]> {
  const results = new Array<R>(count);
  for (const group of groups) {
    const out = await run(group);
    if (out.length !== group.length) throw new Error(`a batch of ${group.length} produced ${out.length} results`);
    group.forEach((index, k) => (results[index] = out[k]!));
  }
  return results;
}

function batchLimit(maxBatch: number): number {
  return Math.max(1, Math.floor(maxBatch));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
