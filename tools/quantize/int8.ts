/**
 * Symmetric per-channel int8 quantization of a weight tensor: one scale per slice along `axis`,
 * `scale = max|w| / 127`, `q = round(w / scale)` in [-127, 127], zero point 0, so `w ≈ q * scale` with an error of at
 * most `scale / 2` per element.
 *
 * Why symmetric: a zero point of 0 makes DequantizeLinear a single multiply and lets the integer kernels
 * (MatMulInteger, MatMulIntegerToFloat, ConvInteger) skip the weight zero-point correction; trained conv and linear
 * weights are close to symmetric around 0, so an asymmetric range would win at most one bit on skewed channels
 * while adding a zero-point tensor. onnxruntime's own quantizer also defaults weights to symmetric int8.
 * -128 is left unused so that the range is exactly symmetric (as onnxruntime's `reduce_range`-free symmetric mode).
 */

export interface PerChannelInt8 {
  values: Int8Array;
  /** One scale per index of `axis`. */
  scales: Float32Array;
  axis: number;
}

export const INT8_MAX = 127;

/**
 * @example
 * const { values, scales } = quantizePerChannel(Float32Array.of(0.5, -1, 2, 4), [2, 2], 0);
 * // scales = [1/127, 4/127], values = [64, -127, 64, 127]
 */
export function quantizePerChannel(weights: Float32Array, dims: readonly number[], axis: number): PerChannelInt8 {
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = weights.length / (channels * inner);
  const maxAbs = new Float32Array(channels);
  forEachChannel(outer, channels, inner, (c, i) => {
    const magnitude = Math.abs(weights[i]!);
    if (magnitude > maxAbs[c]!) maxAbs[c] = magnitude;
  });
  // an all-zero channel gets scale 1 (any scale reproduces zeros; 1 keeps the scale tensor free of denormals)
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / INT8_MAX : 1));
  const values = new Int8Array(weights.length);
  forEachChannel(outer, channels, inner, (c, i) => {
    values[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, roundHalfEven(weights[i]! / scales[c]!)));
  });
  return { values, scales, axis };
}

/** `q * scale` per element: what DequantizeLinear computes (in float32). */
export function dequantizePerChannel(quantized: PerChannelInt8, dims: readonly number[]): Float32Array {
  const channels = dims[quantized.axis] ?? 1;
  const inner = dims.slice(quantized.axis + 1).reduce((a, b) => a * b, 1);
  const outer = quantized.values.length / (channels * inner);
  const out = new Float32Array(quantized.values.length);
  forEachChannel(outer, channels, inner, (c, i) => {
    out[i] = Math.fround(quantized.values[i]! * quantized.scales[c]!);
  });
  return out;
}

function forEachChannel(
  outer: number,
  channels: number,
  inner: number,
  visit: (channel: number, index: number) => void,
): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < inner; k++) visit(c, i++);
    }
  }
}

/** Rounds halves to even, as onnxruntime's QuantizeLinear (std::nearbyint) does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
