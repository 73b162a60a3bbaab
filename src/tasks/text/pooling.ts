/**
 * Sentence embeddings from a transformer's token states: mean pooling over the attention mask (what
 * sentence-transformers' `Pooling(mode="mean")` does), the first token ([CLS]), and L2 normalization. Vectors are
 * computed in float64 and returned as float32, the precision embeddings are stored and sent in.
 */

/** One text's token states: `tokens` rows of `dim` numbers, and the attention mask of those rows. */
export interface TokenStates {
  states: Float32Array;
  mask: ArrayLike<bigint | number>;
  dim: number;
}

/** The mean of the rows whose mask is non-zero (zeros if none is). */
export function meanPool({ states, mask, dim }: TokenStates): Float32Array {
  const sum = new Float64Array(dim);
  let count = 0;
  for (let t = 0; t < mask.length; t++) {
    if (!Number(mask[t])) continue;
    count++;
    for (let d = 0; d < dim; d++) sum[d]! += states[t * dim + d]!;
  }
  return Float32Array.from(sum, (v) => (count ? v / count : 0));
}

/** The first row that the mask keeps: [CLS] for right-padded batches, also correct for left padding. */
export function clsPool({ states, mask, dim }: TokenStates): Float32Array {
  let first = 0;
  while (first < mask.length - 1 && !Number(mask[first])) first++;
  return states.slice(first * dim, (first + 1) * dim);
}

/** `vector / max(‖vector‖₂, 1e-12)`, as torch.nn.functional.normalize does. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let squares = 0;
  for (const v of vector) squares += v * v;
  const norm = Math.max(Math.sqrt(squares), 1e-12);
  return Float32Array.from(vector, (v) => v / norm);
}
