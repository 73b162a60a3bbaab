/** A tensor as the tests and the Node reference service exchange it: raw little-endian bytes in base64. */
export interface WireTensor {
  datatype: string;
  shape: number[];
  base64: string;
}
