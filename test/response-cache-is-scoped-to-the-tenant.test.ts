/**
 * Regression: tenant B sending the same text as tenant A to a public model got `X-Cache: HIT, Age: 1`, while a text
 * nobody sent missed: a membership oracle on other tenants' inputs. Response-cache entries now belong to the
 * caller's tenant for every model, on the OIP and task routes alike, and identical requests of two tenants never
 * share one run either; an operator may mark a public model `cache.scope: "shared"` (inputs that are not
 * sensitive), and then tenants share entries, each charged as a cache hit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { admin, createKey, createTenant, json, putManifest, seedBundled, uploadModel, withKey } from "./support/worker";

const limits = { requestsPerMinute: 10_000, monthlyUnits: 100_000 };
const keys: Record<"a" | "b", string> = { a: "", b: "" };
const tenants: Record<"a" | "b", string> = { a: "", b: "" };

const oip = (model: string, x: number) => ({
  path: `/v2/models/${model}/infer`,
  init: {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1], data: [x] }] }),
  },
});
const text = (body: string) => ({
  path: "/v1/run/lid-176",
  init: { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: body }) },
});

async function send(
  who: "a" | "b",
  request: { path: string; init: RequestInit },
): Promise<{ cache: string | null; body: string }> {
  const response = await withKey(keys[who], request.path, request.init);
  const body = await response.text();
  expect(response.status, body).toBe(200);
  return { cache: response.headers.get("X-Cache"), body };
}

/** Repeats until the tenant's own entry answers (KV writes land after the response). */
async function untilHit(who: "a" | "b", request: { path: string; init: RequestInit }): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { cache, body } = await send(who, request);
    if (cache === "HIT") return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the tenant's own entry never answered");
}

const cachedUnits = async (who: "a" | "b") =>
  (await json(admin(`/admin/tenants/${tenants[who]}/usage`))).totals.cachedUnits as number;

beforeAll(async () => {
  await seedBundled("lid-176");
  expect((await uploadModel("scoped-scale", scaleBy(2))).status).toBe(201);
  expect(
    (await uploadModel("shared-scale", scaleBy(3), { manifest: { task: "tensor", cache: { scope: "shared" } } }))
      .status,
  ).toBe(201);
  for (const who of ["a", "b"] as const) {
    tenants[who] = (await createTenant({ name: `cache scope ${who}`, limits })).id;
    keys[who] = (await createKey(tenants[who])).key;
  }
});

describe("by default, a tenant's cache entries are its own", () => {
  for (const [route, request] of [
    ["OIP", oip("scoped-scale", 21)],
    ["a task route (text-classification)", text("the cache must not tell one tenant what another asked")],
  ] as const) {
    it(`${route}: A's entry answers A; B, asking the same after A's hit, misses like for a never-sent input`, async () => {
      expect((await send("a", request)).cache).toBe("MISS");
      const answerOfA = await untilHit("a", request);
      const b = await send("b", request);
      expect(b.cache).toBe("MISS");
      expect(b.body).toBe(answerOfA);
      expect(await untilHit("b", request)).toBe(answerOfA); // and B's own entry serves B from then on
    });
  }

  it("identical requests of two tenants at the same moment run once each: no shared single flight", async () => {
    const request = oip("scoped-scale", 22);
    const [a, b] = await Promise.all([send("a", request), send("b", request)]);
    expect([a.cache, b.cache]).toEqual(["MISS", "MISS"]);
  });
});

describe('cache.scope: "shared", set by an operator on a public model', () => {
  it("B gets A's entry, charged as a cached request", async () => {
    const request = oip("shared-scale", 31);
    expect((await send("a", request)).cache).toBe("MISS");
    const answerOfA = await untilHit("a", request);
    const before = await cachedUnits("b");
    const b = await send("b", request);
    expect([b.cache, b.body]).toEqual(["HIT", answerOfA]);
    expect((await cachedUnits("b")) - before).toBe(1);
  });

  it("a scope other than tenant or shared is refused when the manifest is uploaded", async () => {
    const response = await putManifest("shared-scale", { task: "tensor", cache: { scope: "global" } });
    expect(response.status).toBe(400);
  });
});
