/**
 * Upload bodies that report their progress: the bytes as a stream of 256 KiB chunks, each counted when the fetch
 * implementation pulls it (so the count follows the socket, a chunk or two ahead). Streaming request bodies need
 * `duplex: "half"`; Node's fetch and Workers take them over HTTP/1.1, browsers only over HTTP/2 or later.
 */

const CHUNK_BYTES = 256 * 1024;

/** `(bytes sent, total bytes)`, called as the upload goes and once at its end. */
export type Progress = (sent: number, total: number) => void;

/** The body and request options of an upload: plain bytes, or a counted stream when `onProgress` is given. */
export function uploadBody(
  bytes: Uint8Array,
  onProgress?: Progress,
): { body: Uint8Array | ReadableStream; duplex?: "half" } {
  if (!onProgress) return { body: bytes };
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const chunk = bytes.subarray(offset, offset + CHUNK_BYTES);
      offset += chunk.byteLength;
      controller.enqueue(chunk);
      onProgress(offset, bytes.byteLength);
    },
  });
  return { body: stream, duplex: "half" };
}
