// @ts-check
/**
 * Adds V8 flags to the workerd config Miniflare writes on workerd's stdin (a Cap'n Proto message, `Config` of
 * workerd.capnp), for the wrapper beside this file. Miniflare builds the config itself and fills no `v8Flags`; the
 * flags go into a segment appended to the message, reached from the root's `v8Flags` field by a far pointer, so the
 * rest of the message stays byte for byte as Miniflare wrote it.
 */

/** `v8Flags @2 :List(Text)` is the root struct's third pointer (workerd.capnp's `struct Config`). */
const V8_FLAGS_POINTER = 2;

/**
 * The same message with `flags` in `Config.v8Flags`. A message whose root is not a plain struct pointer in the first
 * segment, or which has V8 flags already, is returned unchanged.
 * @param {Uint8Array} message a framed (stream-format) Cap'n Proto message
 * @param {string[]} flags
 * @returns {Uint8Array}
 */
export function withV8Flags(message, flags) {
  if (flags.length === 0) return message;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const segmentCount = view.getUint32(0, true) + 1;
  const headerBytes = padded(4 * (1 + segmentCount));
  const sizes = Array.from({ length: segmentCount }, (_, i) => view.getUint32(4 * (1 + i), true) * 8);
  const total = sizes.reduce((a, b) => a + b, 0);
  const body = message.subarray(headerBytes, headerBytes + total);
  if (body.byteLength < total) throw new Error("the workerd config is cut short");

  // the root pointer opens segment 0: a struct pointer (kind 0) with a word offset, data and pointer counts
  const root = new DataView(body.buffer, body.byteOffset, sizes[0]);
  const low = root.getUint32(0, true);
  const dataWords = root.getUint16(4, true);
  const pointers = root.getUint16(6, true);
  if ((low & 3) !== 0 || pointers <= V8_FLAGS_POINTER) return message;
  const slot = 8 * (1 + (low >> 2) + dataWords + V8_FLAGS_POINTER);
  if (slot + 8 > sizes[0] || root.getUint32(slot, true) !== 0 || root.getUint32(slot + 4, true) !== 0) return message;

  const segment = flagsSegment(flags);
  const patched = new Uint8Array(padded(4 * (2 + segmentCount)) + body.byteLength + segment.byteLength);
  const out = new DataView(patched.buffer);
  out.setUint32(0, segmentCount, true); // segment count - 1, one more than before
  for (const [i, size] of [...sizes, segment.byteLength].entries()) out.setUint32(4 * (1 + i), size / 8, true);
  const bodyAt = padded(4 * (2 + segmentCount));
  patched.set(body, bodyAt);
  patched.set(segment, bodyAt + body.byteLength);
  // far pointer (kind 2), landing pad at word 0 of the new segment
  out.setUint32(bodyAt + slot, 2, true);
  out.setUint32(bodyAt + slot + 4, segmentCount, true);
  return patched;
}

/**
 * A segment holding a landing pad (a list pointer to the next word), the list of text pointers, then each text
 * (NUL-terminated, padded to a word).
 * @param {string[]} flags
 */
function flagsSegment(flags) {
  const texts = flags.map((flag) => new TextEncoder().encode(`${flag}\0`));
  const words = 1 + flags.length + texts.reduce((n, text) => n + padded(text.byteLength) / 8, 0);
  const segment = new Uint8Array(8 * words);
  const view = new DataView(segment.buffer);
  listPointer(view, 0, 0, 6, flags.length); // element size 6: pointers
  let at = 1 + flags.length;
  for (const [i, text] of texts.entries()) {
    const word = 1 + i;
    listPointer(view, word, at - (word + 1), 2, text.byteLength); // element size 2: bytes
    segment.set(text, 8 * at);
    at += padded(text.byteLength) / 8;
  }
  return segment;
}

/**
 * @param {DataView} view
 * @param {number} word where the pointer is
 * @param {number} offset words from the end of the pointer to the list
 * @param {number} elementSize Cap'n Proto's element size code
 * @param {number} count
 */
function listPointer(view, word, offset, elementSize, count) {
  view.setUint32(8 * word, ((offset << 2) | 1) >>> 0, true);
  view.setUint32(8 * word + 4, ((count << 3) | elementSize) >>> 0, true);
}

/** @param {number} bytes */
function padded(bytes) {
  return Math.ceil(bytes / 8) * 8;
}

// As a program: the config on stdin, the config with the flags (EDGE_MAAS_WORKERD_V8_FLAGS, space-separated) on stdout.
if (import.meta.url === `file://${process.argv[1]}`) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const flags = (process.env.EDGE_MAAS_WORKERD_V8_FLAGS ?? "").split(" ").filter(Boolean);
  process.stdout.write(withV8Flags(new Uint8Array(Buffer.concat(chunks)), flags));
}
