/**
 * A canary under `npm run dev`: an alias split 90/10 draws a version for each request, so over 2,000 inference
 * requests the canary's count must fall within the 99.9% interval of Binomial(2000, 0.1), computed here from the
 * binomial distribution itself. Each response names the version that served it (OIP `model_version` and
 * `X-Model-Version`), which the output itself confirms (the versions compute x·1 and x·2), and Triton's statistics
 * and the comparison of the two versions count exactly the requests each version answered.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "../support/fixtures";
import { devServer } from "./dev-server";
import { admin, adminJson, tenantKey, tensorModel } from "./support/admin";

const MODEL = `canary-${crypto.randomUUID().slice(0, 8)}`;
const REQUESTS = 2000;
const CONCURRENCY = 16;
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

describe("a 90/10 canary split under npm run dev", () => {
  const served: Record<string, number> = { stable: 0, canary: 0 };
  let key: string;

  beforeAll(async () => {
    // a leased tenant: its requests are admitted from a lease in the isolate (the cheap path), exactly metered
    key = await tenantKey(`canary ${MODEL}`, "leased");
    await tensorModel(MODEL, [
      ["stable", scaleBy(1)],
      ["canary", scaleBy(2)],
    ]);
    const split = await adminJson(
      `/admin/models/${MODEL}/aliases/default`,
      "PUT",
      { weights: { stable: 90, canary: 10 } },
      200,
    );
    expect(split.traffic).toEqual({ default: { stable: 90, canary: 10 } });
  });

  it("2,000 requests land within the binomial 99.9% interval, each response naming the version that ran", async () => {
    const { baseUrl } = devServer();
    const infer = async () => {
      const response = await fetch(`${baseUrl}/v2/models/${MODEL}/infer`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "Cache-Control": "no-store" },
        body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [1] }] }),
        signal: AbortSignal.timeout(30_000),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { model_version: string; outputs: { data: number[] }[] };
      const ran = body.outputs[0]!.data[0] === 2 ? "canary" : "stable";
      expect(body.model_version).toBe(ran);
      expect(response.headers.get("X-Model-Version")).toBe(ran);
      served[ran]! += 1;
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next += 1;
          await infer();
        }
      }),
    );
    expect(served.stable! + served.canary!).toBe(REQUESTS);
    const [low, high] = binomialInterval(REQUESTS, CANARY_SHARE, 0.999);
    expect(served.canary).toBeGreaterThanOrEqual(low);
    expect(served.canary).toBeLessThanOrEqual(high);
  });

  it("Triton's statistics and the comparison count exactly the requests each version answered", async () => {
    const { baseUrl } = devServer();
    const response = await fetch(`${baseUrl}/v2/models/${MODEL}/stats`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { model_stats: { version: string; inference_count: number }[] };
    const count = (version: string) => stats.model_stats.find((s) => s.version === version)?.inference_count;
    expect({ stable: count("stable"), canary: count("canary") }).toEqual(served);

    const compared: any = await (await admin(`/admin/models/${MODEL}/compare?a=stable&b=canary`)).json();
    expect(compared.a).toMatchObject({ version: "stable", requests: served.stable, errors: 0, errorRate: 0 });
    expect(compared.b).toMatchObject({ version: "canary", requests: served.canary, errors: 0, errorRate: 0 });
    for (const side of [compared.a, compared.b]) {
      expect(side.latencyMs.p50).toBeLessThanOrEqual(side.latencyMs.p95);
      expect(side.latencyMs.p95).toBeLessThanOrEqual(side.latencyMs.p99);
    }
  });
});
