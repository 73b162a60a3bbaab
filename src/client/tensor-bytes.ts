/**
 * Tensor elements as the Open Inference Protocol's binary extension carries them, shared by the typed client and
 * the Worker's codec: numeric tensors as typed arrays (their bytes, little-endian), `BYTES` tensors as strings, each
 * sent as a 4-byte little-endian length and its UTF-8 bytes.
 */

export type TypedData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** A typed array for numeric datatypes; one string per element for `BYTES`. */
export type TensorData = TypedData | string[];

/** `BYTES` elements, each as a 4-byte little-endian length and its UTF-8 bytes. */
export function encodeBytesElements(strings: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = strings.map((s) => encoder.encode(s));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.byteLength, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of encoded) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}
