/**
 * `fetch`, sent once more when the server closed a kept-alive connection just as it was reused. Local workerd
 * (Miniflare's direct sockets) does that now and then on a loaded machine: the request never reached the Worker,
 * and the failed attempt took milliseconds. For requests that may be sent twice (uploads by digest, `no-store`
 * measurements).
 */
const CLOSED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

export async function fetchAgainIfClosed(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (!CLOSED.has((error as { cause?: { code?: string } }).cause?.code ?? "")) throw error;
    return fetch(input, init);
  }
}
