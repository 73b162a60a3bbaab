// The benchmark's floor: a bare Worker that answers with a constant read from KV (`?bytes=N`, default 1 KiB), run
// by the same \`wrangler dev\` as edge-maas. A cache hit of the same size can at best be this fast.
export default {
  async fetch(request, env) {
    if (request.body) await request.arrayBuffer(); // like the real route, read the whole request first
    const bytes = Number(new URL(request.url).searchParams.get("bytes") ?? 1024);
    const name = `constant-${bytes}`;
    let value = await env.KV.get(name, "arrayBuffer");
    if (value === null) {
      value = new Uint8Array(bytes).fill(7).buffer;
      await env.KV.put(name, value);
    }
    return new Response(value, { headers: { "Content-Type": "application/octet-stream" } });
  },
};
