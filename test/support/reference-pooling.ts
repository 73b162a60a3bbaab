/**
 * Pooling of a reference run's outputs, written as plainly as possible and separately from
 * src/tasks/text/pooling.ts; no runtime imports, so tests in workerd and in Node share it.
 */

export type ReferencePooling = "mean" | "cls" | "pooled";

/**
 * One vector per encoding from the model's output `values` of `shape` ([batch, length, dim] token states, or
 * [batch, dim] for `pooled`): mean over the attention mask, the first real token, or the pooled row; then L2.
 */
export function poolReference(
  encodings: readonly { attentionMask: number[] }[],
  values: Float32Array,
  shape: readonly number[],
  options: { pooling: ReferencePooling; normalize: boolean },
): number[][] {
  const length = encodings[0]!.attentionMask.length;
  const dim = shape[shape.length - 1]!;
  return encodings.map((encoding, row) => {
    let vector: number[];
    if (options.pooling === "pooled") vector = Array.from(values.subarray(row * dim, (row + 1) * dim));
    else {
      const token = (t: number) => Array.from(values.subarray((row * length + t) * dim, (row * length + t + 1) * dim));
      if (options.pooling === "cls") vector = token(encoding.attentionMask.indexOf(1));
      else {
        vector = new Array<number>(dim).fill(0);
        let count = 0;
        encoding.attentionMask.forEach((m, t) => {
          if (m !== 1) return;
          count++;
          token(t).forEach((v, d) => (vector[d]! += v));
        });
        vector = vector.map((v) => v / count);
      }
    }
    if (!options.normalize) return vector;
    const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
    return vector.map((v) => v / norm);
  });
}
