/**
 * Canary versions inside workerd: an alias split by weight keeps each routing key (or Idempotency-Key) on one
 * version, usage is kept per version, moving the weights is one admin call, and the comparison of two versions of
 * a classifier reports each one's top-1 labels and mean confidence as their answers were. (The split's proportions
 * over 2,000 requests are checked against `npm run dev` in
 * test/e2e/canary-split-of-2000-requests-lands-within-a-binomial-interval.test.ts.)
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
  beforeAll(async () => {
    fastKey = (await leasedTenant("canary traffic")).key;
    expect((await uploadModel(MODEL, scaleBy(1), { version: "stable" })).status).toBe(201);
    expect((await uploadModel(MODEL, scaleBy(2), { version: "canary", makeDefault: false })).status).toBe(201);
    const split = await setWeights(MODEL, { stable: 90, canary: 10 });
    expect(split.status).toBe(200);
    expect((await json(split)).traffic).toEqual({ default: { stable: 90, canary: 10 } });
  });

  it("a routing key never changes version, nor does an Idempotency-Key", async () => {
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, user) =>
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
    // 100 users all on the stable version would happen with probability 0.9^100 < 3e-5: the keys do spread
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

  it("usage and Triton's statistics are kept per version", async () => {
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
    // these are the first inference requests this model answered: its statistics hold exactly them
    const stats = await json(call(`/v2/models/${MODEL}/stats`));
    const counted = Object.fromEntries(
      stats.model_stats
        .filter((s: { inference_count: number }) => s.inference_count > 0)
        .map((s: { version: string; inference_count: number }) => [s.version, s.inference_count]),
    );
    expect(counted).toEqual(versions);
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
