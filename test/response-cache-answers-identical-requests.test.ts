import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { decodeResponse, inferBinary } from "./support/oip";
import { admin, call, createKey, createTenant, json, seedBundled, uploadModel, withKey } from "./support/worker";

const MODEL = "cached-scale";

beforeAll(async () => {
  const uploaded = await uploadModel(MODEL, scaleBy(3));
  if (!uploaded.ok) throw new Error(await uploaded.text());
});

/** How many times this isolate has run `label`'s session (the proof that a hit ran nothing). */
async function runs(label: string): Promise<number> {
  const stats = await json(admin("/admin/runtime"));
  return stats.sessions
    .filter((s: { label: string }) => s.label === label)
    .reduce((n: number, s: { runs: number }) => n + s.runs, 0);
}

function request(data: number[], headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [data.length], data }] }),
  };
}

async function send(path: string, init: RequestInit, key?: string) {
  const response = key ? await withKey(key, path, init) : await call(path, init);
  return {
    status: response.status,
    cache: response.headers.get("X-Cache"),
    age: response.headers.get("Age"),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** KV writes happen after the response (waitUntil); wait until the entry is there. */
async function settledKeys(atLeast: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const keys = (await env.CACHE.list({ prefix: "rc:" })).keys.map((k) => k.name);
    if (keys.length >= atLeast) return keys;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${atLeast} cache entries`);
}

const infer = `/v2/models/${MODEL}/infer`;

describe("response cache", () => {
  it("answers the second identical request from KV, byte for byte, without running the model, and meters it as a hit", async () => {
    const before = await runs(`${MODEL}:1`);
    const usageBefore = (await json(call("/v1/usage"))).totals;
    const first = await send(infer, request([1, 2, 3]));
    await settledKeys(1);
    const second = await send(infer, request([1, 2, 3]));
    expect([first.status, first.cache, second.status, second.cache]).toEqual([200, "MISS", 200, "HIT"]);
    expect(second.body).toEqual(first.body);
    expect(Number(second.age)).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(new TextDecoder().decode(second.body)).outputs[0].data).toEqual([3, 6, 9]);
    expect(await runs(`${MODEL}:1`)).toBe(before + 1);
    const usage = (await json(call("/v1/usage"))).totals;
    expect(usage.requests - usageBefore.requests).toBe(2);
    expect(usage.cachedRequests - usageBefore.cachedRequests).toBe(1);
  });

  it("the binary extension is cached too, apart from JSON", async () => {
    const tensor = [{ name: "x", datatype: "FP32" as const, shape: [2], data: new Float32Array([5, 6]) }];
    const first = await inferBinary(infer, tensor, { binaryOutputs: true });
    const firstBody = new Uint8Array(await first.clone().arrayBuffer());
    expect(first.headers.get("X-Cache")).toBe("MISS");
    const second = await inferBinary(infer, tensor, { binaryOutputs: true });
    expect(second.headers.get("X-Cache")).toBe("HIT");
    expect(second.headers.get("Inference-Header-Content-Length")).toBe(
      first.headers.get("Inference-Header-Content-Length"),
    );
    expect(new Uint8Array(await second.clone().arrayBuffer())).toEqual(firstBody);
    expect(Array.from((await decodeResponse(second)).outputs.y!.bytes!)).toEqual(
      Array.from(new Uint8Array(new Float32Array([15, 18]).buffer)),
    );
  });

  it("concurrent identical misses share one inference", async () => {
    const before = await runs(`${MODEL}:1`);
    const results = await Promise.all(Array.from({ length: 8 }, () => send(infer, request([42, 43]))));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.filter((r) => r.cache === "MISS")).toHaveLength(1);
    for (const r of results) expect(r.body).toEqual(results[0]!.body);
    expect(await runs(`${MODEL}:1`)).toBe(before + 1);
  });

  it("a new model version misses", async () => {
    await send(infer, request([7]));
    await send(infer, request([7]));
    const next = await uploadModel(MODEL, scaleBy(4), { version: "2" });
    expect(next.status).toBe(201);
    const fresh = await send(infer, request([7]));
    expect(fresh.cache).toBe("MISS");
    expect(JSON.parse(new TextDecoder().decode(fresh.body)).outputs[0].data).toEqual([28]);
    const old = await send(`/v2/models/${MODEL}/versions/1/infer`, request([7]));
    expect([old.cache, JSON.parse(new TextDecoder().decode(old.body)).outputs[0].data]).toEqual(["HIT", [21]]);
  });

  it("Cache-Control: no-cache skips the read but writes; no-store does neither", async () => {
    const noCache = await send(infer, request([11], { "Cache-Control": "no-cache" }));
    expect(noCache.cache).toBe("BYPASS");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await send(infer, request([11]))).cache).toBe("HIT");
    expect((await send(infer, request([11], { "Cache-Control": "no-cache" }))).cache).toBe("BYPASS");

    const noStore = await send(infer, request([12], { "Cache-Control": "no-store" }));
    expect(noStore.cache).toBe("BYPASS");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await send(infer, request([12]))).cache).toBe("MISS");
  });

  it("a TTL of 0 in the manifest turns caching off for that model", async () => {
    await admin(`/admin/models/${MODEL}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task: "tensor", cache: { ttlSeconds: 0 } }),
    });
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the manifest cache of this isolate
    expect((await send(infer, request([13]))).cache).toBe("BYPASS");
    expect((await send(infer, request([13]))).cache).toBe("BYPASS");
    await admin(`/admin/models/${MODEL}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task: "tensor" }),
    });
  });

  it("outputs over the cached-size cap are not cached and still succeed", async () => {
    const big = Array.from({ length: 120_000 }, (_, i) => 100 + (i % 97)); // 120,000 floats: ~0.5 MB of JSON, over the 256 KiB test cap
    const first = await send(infer, request(big));
    const second = await send(infer, request(big));
    expect([first.status, first.cache, second.status, second.cache]).toEqual([200, "MISS", 200, "MISS"]);
    expect(second.body).toEqual(first.body);
  });

  it("a hit carries its own request id, never the one its entry was produced under (regression: hits replayed it)", async () => {
    const path = infer;
    const first = await call(path, request([21, 22]));
    await first.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await call(path, {
      ...request([21, 22]),
      headers: { "Content-Type": "application/json", "X-Request-Id": "client-chosen-id" },
    });
    await second.arrayBuffer();
    expect([first.headers.get("X-Cache"), second.headers.get("X-Cache")]).toEqual(["MISS", "HIT"]);
    expect(first.headers.get("X-Request-Id")).toBeTruthy();
    expect(second.headers.get("X-Request-Id")).toBe("client-chosen-id");
    expect(second.headers.get("Server-Timing")).not.toContain("infer");
  });

  it("the body is the KV value itself and the head is its metadata (hits stream from KV)", async () => {
    const before = new Set((await env.CACHE.list({ prefix: "rc:" })).keys.map((k) => k.name));
    const response = await send(infer, request([31, 32]));
    const key = (await settledKeys(before.size + 1)).find((k) => !before.has(k))!;
    const stored = await env.CACHE.getWithMetadata(key, "arrayBuffer");
    expect(new Uint8Array(stored.value!)).toEqual(response.body);
    expect(stored.metadata).toMatchObject({ v: 2, s: 200, n: response.body.byteLength, ttl: 86400 });
    expect((stored.metadata as { h: [string, string][] }).h.map(([name]) => name.toLowerCase())).not.toContain(
      "x-request-id",
    );
  });

  it("a corrupt or unparsable cache value is a miss, never an error", async () => {
    const before = new Set((await env.CACHE.list({ prefix: "rc:" })).keys.map((k) => k.name));
    await send(infer, request([99, 98]));
    const keys = await settledKeys(before.size + 1);
    const key = keys.find((k) => !before.has(k))!;
    const corrupt: [Uint8Array, unknown][] = [
      [new Uint8Array([1, 2]), undefined],
      [new Uint8Array([255, 255, 255, 255, 0]), { v: 2, s: "200" }],
      [
        new TextEncoder().encode('\u0005\u0000\u0000\u0000{"s":'),
        { v: 1, s: 200, h: [], t: Date.now(), ttl: 60, n: 9 },
      ],
      [new Uint8Array([7]), { v: 2, s: 200, h: [["content-type", 5]], t: Date.now(), ttl: 60, n: 1 }],
    ];
    for (const [garbage, metadata] of corrupt) {
      await env.CACHE.put(key, garbage, metadata === undefined ? {} : { metadata });
      const response = await send(infer, request([99, 98]));
      expect([response.status, response.cache]).toEqual([200, "MISS"]);
      expect(JSON.parse(new TextDecoder().decode(response.body)).outputs[0].data).toEqual([396, 392]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it("private models: entries are per tenant, so a new owner never sees the old owner's results", async () => {
    const limits = { requestsPerMinute: 1000, monthlyUnits: 1000 };
    const a = await createTenant({ name: "cache A", limits });
    const b = await createTenant({ name: "cache B", limits });
    const keyA = (await createKey(a.id)).key;
    const keyB = (await createKey(b.id)).key;
    const PRIVATE = "cached-private";
    await uploadModel(PRIVATE, scaleBy(5), { manifest: { task: "tensor", visibility: "private", owner: a.id } });
    const path = `/v2/models/${PRIVATE}/infer`;
    expect((await send(path, request([1]), keyA)).cache).toBe("MISS");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await send(path, request([1]), keyA)).cache).toBe("HIT");
    await admin(`/admin/models/${PRIVATE}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task: "tensor", visibility: "private", owner: b.id }),
    });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await send(path, request([1]), keyA)).status).toBe(404);
    expect((await send(path, request([1]), keyB)).cache).toBe("MISS");
  });

  it("the bundled OCR recognizer hits too (binary outputs)", async () => {
    await seedBundled("ppocr-cls");
    const tensor = [
      { name: "x", datatype: "FP32" as const, shape: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192).fill(0.25) },
    ];
    const first = await inferBinary("/v2/models/ppocr-cls/infer", tensor, { binaryOutputs: true });
    await first.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await inferBinary("/v2/models/ppocr-cls/infer", tensor, { binaryOutputs: true });
    expect([first.headers.get("X-Cache"), second.headers.get("X-Cache")]).toEqual(["MISS", "HIT"]);
    await second.arrayBuffer();
  });
});
