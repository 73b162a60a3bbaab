/**
 * Canary versions: an alias split 90/10 sends each request to a version drawn at random, so over 2,000 requests the
 * canary's count must fall within the 99.9% interval of Binomial(2000, 0.1), computed here from the binomial
 * distribution itself. A routing key (or an Idempotency-Key) always meets the same version. Each response says
 * which version served it, and the metrics, Triton's statistics, the usage ledger and the comparison of the two
 * versions count exactly the requests each version answered.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { leasedTenant } from "./support/leases";
import {
  admin,
  call,
  createKey,
  createTenant,
  json,
  repoFile,
  seedBundled,
  uploadModel,
  withKey,
} from "./support/worker";

const MODEL = `canary-${crypto.randomUUID().slice(0, 8)}`;
const REQUESTS = 2000;
const CANARY_SHARE = 0.1;

/** The smallest and largest counts k with P(X < k) ≤ α/2 and P(X > k) ≤ α/2, for X ~ Binomial(n, p). */
function binomialInterval(n: number, p: number, confidence: number): [number, number] {
  const tail = (1 - confidence) / 2;
  let pmf = (1 - p) ** n;
  let cdf = 0;
  let low = -1;
  for (let k = 0; k <= n; k++) {
    cdf += pmf;
    if (low < 0 && cdf > tail) low = k;
    if (cdf >= 1 - tail) return [low, k];
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
  }
  return [low, n];
}

/** A leased tenant's key: its isolate admits requests from a lease, with no Durable Object call (the cheap path). */
let fastKey: string;

const infer = (headers: Record<string, string> = {}) =>
  withKey(fastKey, `/v2/models/${MODEL}/infer`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] }),
  });

async function setWeights(model: string, weights: Record<string, number>): Promise<Response> {
  return admin(`/admin/models/${model}/aliases/default`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ weights }),
  });
}

describe("canary versions", () => {
  const served: Record<string, number> = { stable: 0, canary: 0 };

  beforeAll(async () => {
    fastKey = (await leasedTenant("canary traffic")).key;
    expect((await uploadModel(MODEL, scaleBy(1), { version: "stable" })).status).toBe(201);
    expect((await uploadModel(MODEL, scaleBy(2), { version: "canary", makeDefault: false })).status).toBe(201);
    const split = await setWeights(MODEL, { stable: 90, canary: 10 });
    expect(split.status).toBe(200);
    expect((await json(split)).traffic).toEqual({ default: { stable: 90, canary: 10 } });
  });

  it("a 90/10 split over 2,000 requests lands within the binomial 99.9% interval, each response naming its version", async () => {
    for (let start = 0; start < REQUESTS; start += 4) {
      const batch = await Promise.all(Array.from({ length: 4 }, () => infer()));
      for (const response of batch) {
        expect(response.status).toBe(200);
        const body = await json(response);
        // the two versions compute x * 1 and x * 2: the output itself tells which one ran
        const ran = body.outputs[0].data[0] === 2 ? "canary" : "stable";
        expect(body.model_version).toBe(ran);
        expect(response.headers.get("X-Model-Version")).toBe(ran);
        served[ran]! += 1;
      }
    }
    const [low, high] = binomialInterval(REQUESTS, CANARY_SHARE, 0.999);
    expect(served.canary).toBeGreaterThanOrEqual(low);
    expect(served.canary).toBeLessThanOrEqual(high);
  }, 400_000);

  it("a routing key never changes version, nor does an Idempotency-Key", async () => {
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 4; round++) {
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, user) =>
          call(`/v2/models/${MODEL}/ready`, { headers: { "X-Routing-Key": `user-${user}` } }).then(json),
        ),
      );
      responses.forEach((body, user) => {
        const versions = seen.get(`user-${user}`) ?? new Set<string>();
        versions.add(body.version);
        seen.set(`user-${user}`, versions);
      });
    }
    expect([...seen.values()].every((versions) => versions.size === 1)).toBe(true);
    // 40 users all on the stable version would happen with probability 0.9^40 < 1.5%: the keys do spread
    const canaryUsers = [...seen.values()].filter((versions) => versions.has("canary")).length;
    expect(canaryUsers).toBeGreaterThan(0);

    for (const key of ["retry-a", "retry-b", "retry-c"]) {
      const versions = await Promise.all(
        [1, 2, 3].map(() =>
          call(`/v2/models/${MODEL}/ready`, { headers: { "Idempotency-Key": key } }).then((r) => json(r)),
        ),
      );
      expect(new Set(versions.map((v) => v.version)).size).toBe(1);
    }
    const bad = await call(`/v2/models/${MODEL}/ready`, { headers: { "X-Routing-Key": "x".repeat(300) } });
    expect(bad.status).toBe(400);
  });

  it("Triton's statistics and the comparison count exactly the requests each version answered", async () => {
    const stats = await json(call(`/v2/models/${MODEL}/stats`));
    const count = (version: string) =>
      stats.model_stats.find((s: { version: string }) => s.version === version).inference_count;
    expect({ stable: count("stable"), canary: count("canary") }).toEqual(served);

    const compared = await json(admin(`/admin/models/${MODEL}/compare?a=stable&b=canary`));
    expect(compared.a).toMatchObject({ version: "stable", requests: served.stable, errors: 0, errorRate: 0 });
    expect(compared.b).toMatchObject({ version: "canary", requests: served.canary, errors: 0, errorRate: 0 });
    for (const side of [compared.a, compared.b]) {
      expect(side.latencyMs.p50).toBeLessThanOrEqual(side.latencyMs.p95);
      expect(side.latencyMs.p95).toBeLessThanOrEqual(side.latencyMs.p99);
    }
  });

  it("usage is kept per version", async () => {
    const tenant = await createTenant({
      name: "canary usage",
      limits: { requestsPerMinute: 10_000, monthlyUnits: 1e6 },
    });
    const { key } = await createKey(tenant.id, { scopes: ["infer"] });
    const versions: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const response = await withKey(key, `/v2/models/${MODEL}/infer`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Cache-Control": "no-store", "X-Routing-Key": `u${i}` },
        body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] }),
      });
      const version = response.headers.get("X-Model-Version")!;
      versions[version] = (versions[version] ?? 0) + 1;
    }
    // settlements go out after the responses: wait until all 40 are committed
    let rows: { model: string; version: string; requests: number }[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      rows = (await json(admin(`/admin/tenants/${tenant.id}/usage`))).rows;
      if (rows.reduce((sum, row) => sum + row.requests, 0) === 40) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const byVersion = Object.fromEntries(rows.map((row) => [row.version, row.requests]));
    expect(byVersion).toEqual(versions);
  });

  it("moving the weights is one admin call, effective at once in the isolate that made it", async () => {
    expect((await setWeights(MODEL, { stable: 0, canary: 100 })).status).toBe(200);
    const manifest = await json(admin(`/admin/models/${MODEL}`));
    expect(manifest.aliases.default).toBe("canary");
    expect(manifest.traffic).toBeUndefined();
    const versions = await Promise.all(
      Array.from({ length: 20 }, () => infer().then((r) => r.headers.get("X-Model-Version"))),
    );
    expect(new Set(versions)).toEqual(new Set(["canary"]));
    // a version a split still names cannot be deleted
    expect((await setWeights(MODEL, { stable: 50, canary: 50 })).status).toBe(200);
    const refused = await admin(`/admin/models/${MODEL}/versions/stable`, { method: "DELETE" });
    expect(refused.status).toBe(409);
  });
});

describe("comparing two versions of a classifier", () => {
  it("reports both versions' top-1 label shares and mean confidence, as their answers were", async () => {
    await seedBundled("mnist-digits");
    const digits = ["0-0005.png", "3-0011.png", "7-0047.png", "9-0035.png", "4-0029.png", "1-0041.jpg"];
    const expected: Record<string, { labels: Record<string, number>; confidence: number }> = {};
    for (const version of ["1", "int8"]) {
      const labels: Record<string, number> = {};
      let confidence = 0;
      for (const file of digits) {
        const bytes = await repoFile(`test/data/digits/${file}`);
        const response = await call(`/v1/run/mnist-digits@${version}`, {
          method: "POST",
          headers: { "Content-Type": file.endsWith(".png") ? "image/png" : "image/jpeg", "Cache-Control": "no-store" },
          body: bytes,
        });
        expect(response.headers.get("X-Model-Version")).toBe(version);
        const [best] = await json(response);
        labels[best.label] = (labels[best.label] ?? 0) + 1 / digits.length;
        confidence += best.score / digits.length;
      }
      expected[version] = { labels, confidence };
    }
    const compared = await json(admin("/admin/models/mnist-digits/compare?a=1&b=int8"));
    for (const [side, version] of [
      ["a", "1"],
      ["b", "int8"],
    ] as const) {
      expect(compared[side].version).toBe(version);
      expect(compared[side].requests).toBeGreaterThanOrEqual(digits.length);
      for (const [label, share] of Object.entries(expected[version]!.labels))
        expect(compared[side].labels[label]).toBeCloseTo(share, 6);
      expect(compared[side].meanConfidence).toBeCloseTo(expected[version]!.confidence, 5);
    }
    expect(compared.labelDistance).toBeGreaterThanOrEqual(0);
    expect(compared.labelDistance).toBeLessThanOrEqual(1);
  });
});
