/**
 * Runs a list of items through a model in batches of at most `maxBatch` per session call, keeping order.
 */

/**
 * @example
 * const scores = await inBatches(texts, limits.maxBatch, async (chunk) => runOnce(chunk)); // one result per item
 */
export async function inBatches<T, R>(items: readonly T[], maxBatch: number, run: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const size = Math.max(1, Math.floor(maxBatch));
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    const chunk = items.slice(start, start + size);
    const out = await run(chunk);
    if (out.length !== chunk.length) throw new Error(`a batch of ${chunk.length} produced ${out.length} results`);
    results.push(...out);
  }
  return results;
}
