/**
 * Grouping texts into session calls (src/tasks/batching.ts): every text runs exactly once, no call holds more than
 * `maxBatch`, texts of one length share calls as `maxBatch` allows, a dearer call means fewer calls, and the
 * grouping is the cheapest of all possible ones (every partition into sets, checked exhaustively for small
 * requests) under the cost it states: calls × callCost + Σ rows × longest.
 */
import { describe, expect, it } from "vitest";
import { inBatches, inLengthBatches, lengthGroups } from "../src/tasks/batching";

function cost(groups: readonly number[][], lengths: readonly number[], callCost: number): number {
  return groups.reduce(
    (total, group) => total + callCost + group.length * Math.max(...group.map((i) => lengths[i]!)),
    0,
  );
}

/** Every partition of `items` into non-empty sets of at most `limit`. */
function* partitions(items: number[], limit: number): Generator<number[][]> {
  if (items.length === 0) return yield [];
  const [first, ...rest] = items as [number, ...number[]];
  for (const partition of partitions(rest, limit)) {
    yield [[first], ...partition];
    for (let k = 0; k < partition.length; k++) {
      if (partition[k]!.length < limit) yield partition.map((group, j) => (j === k ? [first, ...group] : group));
    }
  }
}

/** Deterministic pseudo-random lengths (xorshift32). */
function lengthsFrom(seed: number, count: number, max: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return 1 + ((state >>> 0) % max);
  });
}

function expectValid(groups: number[][], count: number, maxBatch: number): void {
  expect(groups.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
  for (const group of groups) expect(group.length).toBeLessThanOrEqual(maxBatch);
}

describe("lengthGroups", () => {
  it("puts texts of one length in ceil(n / maxBatch) calls", () => {
    expect(lengthGroups(Array(32).fill(20), { maxBatch: 32, callCost: 16 })).toHaveLength(1);
    const groups = lengthGroups(Array(70).fill(20), { maxBatch: 32, callCost: 16 });
    expect(groups).toHaveLength(3);
    expectValid(groups, 70, 32);
  });

  it("keeps a few long texts from padding many short ones, unless calls cost more than the padding", () => {
    const lengths = [...Array(30).fill(8), 120, 128];
    const groups = lengthGroups(lengths, { maxBatch: 32, callCost: 16 });
    expect(groups).toHaveLength(2);
    expect(groups[1]!.sort()).toEqual([30, 31]);
    // splitting saves 30 × 120 positions; a call dearer than that keeps them together
    expect(lengthGroups(lengths, { maxBatch: 32, callCost: 4000 })).toHaveLength(1);
  });

  it("is the cheapest grouping of all, for 240 random small requests and three call costs", () => {
    for (let seed = 1; seed <= 240; seed++) {
      const count = 1 + (seed % 7);
      const maxBatch = 1 + (seed % 4);
      const callCost = [0, 16, 300][seed % 3]!;
      const lengths = lengthsFrom(seed * 7919, count, seed % 2 ? 40 : 200);
      const groups = lengthGroups(lengths, { maxBatch, callCost });
      expectValid(groups, count, maxBatch);
      let best = Infinity;
      for (const partition of partitions(
        Array.from({ length: count }, (_, i) => i),
        maxBatch,
      ))
        best = Math.min(best, cost(partition, lengths, callCost));
      expect(cost(groups, lengths, callCost), `lengths ${lengths}, maxBatch ${maxBatch}, callCost ${callCost}`).toBe(
        best,
      );
    }
  });
});

describe("running groups", () => {
  it("answers in request order, whatever order the calls ran in", async () => {
    const lengths = [50, 3, 40, 3, 9, 50, 1];
    const batching = { maxBatch: 2, callCost: 16 };
    const calls: number[][] = [];
    const results = await inLengthBatches(lengths, batching, async (indexes) => {
      calls.push(indexes);
      return indexes.map((i) => `text ${i}`);
    });
    expect(results).toEqual(lengths.map((_, i) => `text ${i}`));
    expect(calls).toEqual(lengthGroups(lengths, batching));
    expect(await inBatches(["a", "b", "c"], 2, async (chunk) => chunk.map((item) => item.toUpperCase()))).toEqual([
      "A",
      "B",
      "C",
    ]);
  });

  it("refuses a call that answers the wrong number of results", async () => {
    await expect(inLengthBatches([1, 2], { maxBatch: 2, callCost: 16 }, async () => ["only one"])).rejects.toThrow(
      "a batch of 2 produced 1 results",
    );
  });
});
