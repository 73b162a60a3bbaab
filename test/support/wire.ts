/**
 * A tensor as the tests and the Node reference service exchange it: raw little-endian bytes in base64, or for
 * `BYTES` (string) tensors the strings themselves.
 */
export interface WireTensor {
  datatype: string;
  shape: number[];
  base64: string;
  /** The elements of a `BYTES` tensor (then `base64` is empty). */
  strings?: string[];
}
