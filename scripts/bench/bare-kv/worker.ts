/**
 * The benchmark's floors, run on the same workerd as edge-maas: a bare Worker that reads the whole request body like
 * the real routes do and answers, with no work of its own,
 *   GET|POST /kv?bytes=N   a value of N bytes read from KV (what a cache hit can at best cost), stored on first use
 *                          by `PUT /kv?bytes=N` with the exact bytes to serve;
 *   POST /echo?bytes=N     N bytes from memory (what carrying the request and response over HTTP costs).
 */
interface BareEnv {
  KV: KVNamespace;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const bytes = Number(url.searchParams.get("bytes") ?? 1024);
    const name = `constant-${bytes}`;
    if (request.method === "PUT") {
      await env.KV.put(name, await request.arrayBuffer());
      return new Response(null, { status: 204 });
    }
    if (request.body) await request.arrayBuffer();
    if (url.pathname === "/echo")
      return new Response(new Uint8Array(bytes), { headers: { "Content-Type": "application/octet-stream" } });
    const value = await env.KV.get(name, "arrayBuffer");
    if (value === null) return new Response(`PUT /kv?bytes=${bytes} first`, { status: 404 });
    return new Response(value, { headers: { "Content-Type": "application/octet-stream" } });
  },
} satisfies ExportedHandler<BareEnv>;
