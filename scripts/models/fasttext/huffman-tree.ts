/**
 * fastText's hierarchical softmax tree (loss.cc `HierarchicalSoftmaxLoss::buildTree`): a Huffman tree over the
 * labels' counts, built by merging the two lightest of the leaves (taken from the last label backwards, as labels
 * are sorted by decreasing count) and the internal nodes made so far. Node `i >= osz` is internal and scores with
 * row `i - osz` of the output matrix; a label's probability is the product, along its path from the root, of
 * `sigmoid(w · hidden)` where the path turns right (`binary`) and `1 - sigmoid(...)` where it turns left.
 */

export interface PathStep {
  /** Row of the output matrix: the internal node's index minus the number of labels. */
  node: number;
  /** fastText's `binary` code: true when this step goes to the right child. */
  right: boolean;
}

/** For each label (in dictionary order), its steps from the root down to the leaf. */
export function huffmanPaths(counts: readonly number[]): PathStep[][] {
  const osz = counts.length;
  if (osz < 2) throw new Error(`hierarchical softmax needs at least 2 labels, got ${osz}`);
  const size = 2 * osz - 1;
  const parent = new Int32Array(size).fill(-1);
  const binary = new Uint8Array(size);
  // 1e15 as in fastText: larger than any count, so unmade internal nodes are never chosen
  const count = Array.from({ length: size }, (_, i) => (i < osz ? counts[i]! : 1e15));
  let leaf = osz - 1;
  let node = osz;
  for (let i = osz; i < size; i++) {
    const mini = [0, 0];
    for (let j = 0; j < 2; j++) {
      if (leaf >= 0 && count[leaf]! < count[node]!) mini[j] = leaf--;
      else mini[j] = node++;
    }
    count[i] = count[mini[0]!]! + count[mini[1]!]!;
    parent[mini[0]!] = i;
    parent[mini[1]!] = i;
    binary[mini[1]!] = 1;
  }
  return Array.from({ length: osz }, (_, label) => {
    const upwards: PathStep[] = [];
    for (let j = label; parent[j] !== -1; j = parent[j]!)
      upwards.push({ node: parent[j]! - osz, right: binary[j] === 1 });
    return upwards.reverse();
  });
}
