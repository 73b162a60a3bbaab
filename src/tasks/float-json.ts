/**
 * Float32 values as decimals of at most 9 significant digits, enough to read back the same float32:
 * JSON stays short and `Math.fround(JSON.parse(x))` equals the vector sent as base64.
 */
export function float32ToJson(vector: Float32Array): number[] {
  return Array.from(vector, (v) => Number(v.toPrecision(9)));
}
