/**
 * HTTP content codings (RFC 9110 §8.4), both ways.
 *
 * Requests: a `Content-Encoding: gzip | deflate` body (tritonclient's `request_compression_algorithm`) is inflated
 * with `DecompressionStream` as it is read, so size limits count the decompressed bytes. workerd's
 * `DecompressionStream` inflates each written chunk at once, whoever reads (measured: a 1 MB gzip of zeros written
 * in one piece grows workerd by 1.4 GB), so the compressed bytes go in slices of at most `SLICE_BYTES`, the next
 * only once everything the last one gave has been read: at most ~1,032 × SLICE_BYTES (deflate's largest ratio) is
 * ever waiting, and a reader that stops at its limit stops the inflation.
 *
 * Responses: Cloudflare (and Miniflare locally) already compress JSON and text for clients that accept gzip or
 * brotli, but not `application/octet-stream`, the binary tensor extension's responses; those are compressed here
 * when the client accepts gzip or deflate (tritonclient's `response_compression_algorithm`) and the body is at least
 * `MIN_COMPRESSED_BYTES`: a smaller one (a classifier's few scores) saves a few hundred bytes at most, while the
 * compression stream costs its response about 0.5–1 ms (measured on loopback, docs/BENCHMARKS.md).
 */
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";

/** Compressed bytes given to the inflater at a time; ≤ 4 MiB of output each. */
const SLICE_BYTES = 4096;
/** Output read at a time (one read of a native stream costs an event-loop turn, so read big). */
const READ_BYTES = 64 * 1024;

const INFLATABLE = new Set(["gzip", "x-gzip", "deflate"]);
/** Binary response bodies shorter than this go out as they are (Hono's `compress` and nginx-style thresholds). */
export const MIN_COMPRESSED_BYTES = 1024;

export interface DecodedRequest {
  /** The request, its body decoded; as is when it had no content coding. */
  request: Request;
  /** Whether the body was decoded. */
  decoded: boolean;
  /**
   * Stops decoding and reads what is left of the encoded body (at most `maxBytes`), so that a client still sending
   * gets the refusal: workerd resets a connection closed with unread bytes, and the reset can overtake the answer.
   */
  discardRest(maxBytes: number): Promise<void>;
}

/**
 * The request with its body decoded from its `Content-Encoding`. The decoded body has no `Content-Length`, so a
 * body limit counts it while it streams.
 * @example c.req.raw = decodeBody(c.req.raw).request; // then read or limit the body as usual
 */
export function decodeBody(request: Request): DecodedRequest {
  const coding = request.headers.get("Content-Encoding")?.trim().toLowerCase();
  if (!coding || coding === "identity" || !request.body)
    return { request, decoded: false, discardRest: async () => {} };
  if (!INFLATABLE.has(coding)) {
    throw new AppError(
      "unsupported_media_type",
      `Content-Encoding '${coding}' is not supported; send the body as is, or with gzip or deflate`,
    );
  }
  const headers = new Headers(request.headers);
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
  const format = coding === "deflate" ? "deflate" : "gzip";
  const { stream, discardRest } = inflate(request.body, format, coding);
  return { request: new Request(request, { headers, body: stream }), decoded: true, discardRest };
}

/** A pull-driven stream of `body` inflated: compressed bytes are fed only when every decoded byte was read. */
function inflate(
  body: ReadableStream<Uint8Array>,
  format: "gzip" | "deflate",
  coding: string,
): { stream: ReadableStream<Uint8Array>; discardRest: (maxBytes: number) => Promise<void> } {
  const decoder = new DecompressionStream(format);
  const writer = decoder.writable.getWriter();
  const output = decoder.readable.getReader({ mode: "byob" });
  const input = body.getReader();
  let rest: Uint8Array = new Uint8Array(0);
  let inputDone = false;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  let settled: ReadableStreamReadResult<Uint8Array> | undefined;

  const corrupt = (error: unknown) =>
    new AppError("invalid_request", `the ${coding} request body does not decompress: ${(error as Error).message}`, {
      cause: error,
    });

  async function nextSlice(): Promise<Uint8Array | undefined> {
    while (rest.byteLength === 0 && !inputDone) {
      const { done, value } = await input.read();
      if (done) inputDone = true;
      else rest = value;
    }
    if (rest.byteLength === 0) return undefined;
    const slice = rest.subarray(0, SLICE_BYTES);
    rest = rest.subarray(SLICE_BYTES);
    return slice;
  }

  // The decoder gives everything a slice holds as soon as it is written, and a read of it settles within one
  // event-loop turn: a read still pending after a turn means the decoder waits for input.
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

  let closed = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            if (!pending) {
              settled = undefined;
              pending = output.read(new Uint8Array(READ_BYTES)).then((result) => (settled = result));
            }
            if (!settled) await Promise.race([pending, turn()]);
            if (settled) {
              const { done, value } = settled;
              pending = undefined;
              if (done) controller.close();
              else controller.enqueue(value);
              return;
            }
            const slice = closed ? undefined : await nextSlice();
            if (slice) await writer.write(slice);
            else if (!closed) {
              closed = true;
              // a truncated stream fails the pending read, which is where it is reported
              writer.close().catch(() => {});
            } else await pending;
          }
        } catch (error) {
          throw corrupt(error);
        }
      },
      async cancel(reason) {
        await Promise.allSettled([input.cancel(reason), output.cancel(reason), writer.abort(reason)]);
      },
    },
    // pulled only when read: nothing is inflated ahead of the reader
    { highWaterMark: 0 },
  );

  async function discardRest(maxBytes: number): Promise<void> {
    closed = true;
    void Promise.allSettled([output.cancel(), writer.abort()]);
    let seen = rest.byteLength;
    rest = new Uint8Array(0);
    while (!inputDone && seen <= maxBytes) {
      const { done, value } = await input.read();
      inputDone = done;
      seen += value?.byteLength ?? 0;
    }
    if (!inputDone) await input.cancel();
  }

  return { stream, discardRest };
}

/** Responses no platform compresses: the binary tensor extension's. JSON and text are compressed by Cloudflare. */
const UNCOMPRESSED_BY_PLATFORM = /^application\/octet-stream\b/i;

/** Compresses binary responses for clients that accept gzip or deflate (gzip first at equal preference). */
export function compressBinaryResponses() {
  return createMiddleware(async function compressBinaryResponses(c, next) {
    await next();
    const response = c.res;
    if (!response.body || c.req.method === "HEAD" || response.headers.has("Content-Encoding")) return;
    if (!UNCOMPRESSED_BY_PLATFORM.test(response.headers.get("Content-Type") ?? "")) return;
    const coding = preferredCoding(clientAcceptEncoding(c.req.raw));
    if (!coding) return c.header("Vary", "Accept-Encoding", { append: true });
    const headers = new Headers(response.headers);
    headers.append("Vary", "Accept-Encoding");
    // binary responses are built in memory (the codec's bytes, a cache entry), so reading them costs a view, and the
    // compressor is then fed by the runtime's own stream: a JavaScript stream in between cost 2 ms per response
    const bytes = new Uint8Array(await response.arrayBuffer());
    // replaced, not merged: Hono's setter would copy the old headers back, Content-Length with them
    c.res = undefined;
    if (bytes.byteLength < MIN_COMPRESSED_BYTES) {
      c.res = new Response(bytes, { status: response.status, headers });
      return;
    }
    headers.set("Content-Encoding", coding);
    headers.delete("Content-Length");
    const body = new Response(bytes).body!.pipeThrough(new CompressionStream(coding));
    // `manual`: the body is already in its Content-Encoding, the runtime must not encode it again
    c.res = new Response(body, { status: response.status, headers, encodeBody: "manual" });
  });
}

/**
 * What the client itself accepts: Cloudflare (and Miniflare) hand the Worker `Accept-Encoding: br, gzip` whatever the
 * client sent and keep the client's header in `cf.clientAcceptEncoding`.
 */
function clientAcceptEncoding(request: Request): string {
  const cf = request.cf as { clientAcceptEncoding?: string } | undefined;
  return cf?.clientAcceptEncoding ?? request.headers.get("Accept-Encoding") ?? "";
}

/** gzip or deflate, whichever `Accept-Encoding` prefers (q-values, `*`), gzip on a tie; none for identity only. */
function preferredCoding(accept: string): "gzip" | "deflate" | undefined {
  const weights = new Map<string, number>();
  for (const part of accept.split(",")) {
    const [name = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    if (name) weights.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  const weight = (coding: string) =>
    weights.get(coding) ?? (coding === "gzip" ? weights.get("x-gzip") : undefined) ?? weights.get("*") ?? 0;
  const gzip = weight("gzip");
  const deflate = weight("deflate");
  if (gzip <= 0 && deflate <= 0) return undefined;
  return gzip >= deflate ? "gzip" : "deflate";
}
