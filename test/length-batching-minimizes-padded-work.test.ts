/**
 * Grouping texts into session calls (src/tasks/batching.ts): every text runs exactly once, no call holds more than
 * `maxBatch`, texts of one length share calls as `maxBatch` allows, and the grouping is the cheapest of all possible
 * ones (every partition into sets, checked exhaustively for small requests) under the cost it states:
 * calls × CALL_COST + Σ rows × longest.
 */
import { describe, expect, it } from "vitest";
import { inBatches, inLengthBatches, lengthGroups } from "../src/tasks/batching";

const CALL_COST = 16;

function cost(groups: readonly number[][], lengths: readonly number[]): number {
  return groups.reduce((total, group) => total + CALL_COST + group.length * Math.max(...group.map((i) => lengths[i]!)), 0);
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
    expect(lengthGroups(Array(32).fill(20), 32)).toHaveLength(1);
    expect(lengthGroups(Array(70).fill(20), 32)).toHaveLength(3);
    expectValid(lengthGroups(Array(70).fill(20), 32), 70, 32);
  });

  it("keeps a few long texts from padding many short ones", () => {
    const lengths = [...Array(30).fill(8), 120, 128];
    const groups = lengthGroups(lengths, 32);
    expect(groups).toHaveLength(2);
    expect(groups[1]!.sort()).toEqual([30, 31]);
  });

  it("is the cheapest grouping of all, for 160 random small requests", () => {
    for (let seed = 1; seed <= 160; seed++) {
      const count = 1 + (seed % 7);
      const maxBatch = 1 + (seed % 4);
      const lengths = lengthsFrom(seed * 7919, count, seed % 2 ? 40 : 200);
      const groups = lengthGroups(lengths, maxBatch);
      expectValid(groups, count, maxBatch);
      let best = Infinity;
      for (const partition of partitions(Array.from({ length: count }, (_, i) => i), maxBatch)) best = Math.min(best, cost(partition, lengths));
      expect(cost(groups, lengths), `lengths ${lengths}, maxBatch ${maxBatch}`).toBe(best);
    }
  });
});

describe("running groups", () => {
  it("answers in request order, whatever order the calls ran in", async () => {
    const lengths = [50, 3, 40, 3, 9, 50, 1];
    const calls: number[][] = [];
    const results = await inLengthBatches(lengths, 2, async (indexes) => {
      calls.push(indexes);
      return indexes.map((i) => `text ${i}`);
    });
    expect(results).toEqual(lengths.map((_, i) => `text ${i}`));
    expect(calls).toEqual(lengthGroups(lengths, 2));
    expect(await inBatches(["a", "b", "c"], 2, async (chunk) => chunk.map((item) => item.toUpperCase()))).toEqual(["A", "B", "C"]);
  });

  it("refuses a call that answers the wrong number of results", async () => {
    await expect(inLengthBatches([1, 2], 2, async () => ["only one"])).rejects.toThrow("a batch of 2 produced 1 results");
  });
});
