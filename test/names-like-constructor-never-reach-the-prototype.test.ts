/**
 * Regression: a version named `constructor` once answered 500, `/versions/constructor/ready` said `{"ready":true}`,
 * because the registry read `manifest.versions[name]` from a plain object. Every route of the OpenAPI document is
 * called with the names a plain object inherits (`constructor`, `__proto__`, `toString`, `valueOf`,
 * `hasOwnProperty`) as each of its path parameters (model, version, alias, asset, tenant and key ids), and with
 * them as model references, input and output names and query parameters: every answer is a clean 4xx, and a good
 * request succeeds afterwards. The same names work as ordinary names when an operator really creates them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { decodeResponse, float32Of } from "./support/oip";
import { silentWav } from "./support/wav";
import { admin, anonymous, call, createKey, createTenant, json, seedBundled, uploadModel } from "./support/worker";

const NAMES = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];
const MODEL = "proto-probe";
const PUT_MODEL = "proto-put";

let tenantId = "";
let keyId = "";

const scaleBody = (inputName = "x", outputName?: string) =>
  JSON.stringify({
    inputs: [{ name: inputName, datatype: "FP32", shape: [3], data: [1, 2, 3] }],
    ...(outputName ? { outputs: [{ name: outputName }] } : {}),
  });
const jsonInit = (method: string, body: string): RequestInit => ({
  method,
  headers: { "Content-Type": "application/json" },
  body,
});

/** A request a route would accept if its names existed (bodies by route; `{}` for routes added later). */
function requestFor(method: string, template: string): RequestInit {
  const m = method.toUpperCase();
  if (m === "GET" || m === "DELETE") return { method: m };
  if (/\/(infer|profile)$/.test(template) || template === "/v1/run/{model}") return jsonInit(m, scaleBody());
  if (template.endsWith("/versions/{version}") || template.endsWith("/assets/{name}"))
    return { method: m, headers: { "Content-Type": "application/octet-stream" }, body: scaleBy(2) };
  if (template.endsWith("/aliases/{alias}")) return jsonInit(m, JSON.stringify({ version: "1" }));
  if (template === "/admin/models/{model}") return jsonInit(m, JSON.stringify({ task: "tensor" }));
  if (template.endsWith("/keys")) return jsonInit(m, JSON.stringify({ name: "probe" }));
  if (template === "/admin/tenants/{id}") return jsonInit(m, JSON.stringify({ name: "probe" }));
  return jsonInit(m, "{}");
}

/** Valid values for the parameters a probe leaves alone. */
const validParam = (name: string): string =>
  ({ model: MODEL, version: "1", alias: "default", name: "vocab.txt", id: tenantId, keyId })[name] ?? "x";

const send = (path: string, init: RequestInit) => (path.startsWith("/admin/") ? admin(path, init) : call(path, init));

async function expectClean4xx(response: Response, what: string): Promise<void> {
  const text = await response.text();
  expect(response.status, `${what}: ${text}`).toBeGreaterThanOrEqual(400);
  expect(response.status, `${what}: ${text}`).toBeLessThan(500);
  expect(() => JSON.parse(text), `${what} answers JSON`).not.toThrow();
  expect(JSON.parse(text).ready, `${what} never claims readiness`).toBeUndefined();
}

async function expectGoodRequestStillWorks(): Promise<void> {
  const response = await call(`/v2/models/${MODEL}/infer`, jsonInit("POST", scaleBody()));
  expect(Array.from(float32Of((await decodeResponse(response)).outputs.y!))).toEqual([2, 4, 6]);
}

beforeAll(async () => {
  expect((await uploadModel(MODEL, scaleBy(2))).status).toBe(201);
  expect((await uploadModel(PUT_MODEL, scaleBy(2))).status).toBe(201);
  await seedBundled("silero-vad");
  tenantId = (await createTenant({ name: "probe", limits: { requestsPerMinute: 1000, monthlyUnits: 1000 } })).id;
  keyId = (await createKey(tenantId)).id;
});

describe("names a plain object inherits", () => {
  it("as model references, input and output names and query parameters: 4xx", async () => {
    for (const name of NAMES) {
      const probes: [string, Promise<Response>][] = [
        [`/v1/run/${MODEL}@${name}`, call(`/v1/run/${MODEL}@${name}`, jsonInit("POST", scaleBody()))],
        [`/v1/run/${name}@1`, call(`/v1/run/${name}@1`, jsonInit("POST", scaleBody()))],
        [
          `embeddings model ${name}`,
          call("/v1/embeddings", jsonInit("POST", JSON.stringify({ model: name, input: "hello" }))),
        ],
        [
          `embeddings model ${MODEL}@${name}`,
          call("/v1/embeddings", jsonInit("POST", JSON.stringify({ model: `${MODEL}@${name}`, input: "hello" }))),
        ],
        [`input named ${name}`, call(`/v2/models/${MODEL}/infer`, jsonInit("POST", scaleBody(name)))],
        [`output named ${name}`, call(`/v2/models/${MODEL}/infer`, jsonInit("POST", scaleBody("x", name)))],
        [`/v1/usage?granularity=${name}`, call(`/v1/usage?granularity=${name}`)],
        [`usage of tenant ?granularity=${name}`, admin(`/admin/tenants/${tenantId}/usage?granularity=${name}`)],
        [
          `profile ?iterations=${name}`,
          admin(`/admin/models/${MODEL}/versions/1/profile?iterations=${name}`, jsonInit("POST", scaleBody())),
        ],
        [
          `voice-activity ?${name}=1`,
          call(`/v1/run/silero-vad?${name}=1`, {
            method: "POST",
            headers: { "Content-Type": "audio/wav" },
            body: silentWav(),
          }),
        ],
      ];
      for (const [what, response] of probes) await expectClean4xx(await response, what);
    }
    await expectGoodRequestStillWorks();
  });

  it("as every path parameter of every documented route: 4xx, never 5xx, never ready", async () => {
    const document = await json(anonymous("/openapi.json"));
    const operations = Object.entries(document.paths as Record<string, object>).flatMap(([template, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), template })),
    );
    // lookups first; PUTs last, on their own model: they may create something under such a name, an ordinary
    // name to store (see below)
    const ordered = [
      ...operations.filter((op) => op.method !== "PUT"),
      ...operations.filter((op) => op.method === "PUT"),
    ];
    let probes = 0;
    for (const { method, template } of ordered) {
      for (const param of [...template.matchAll(/{(\w+)}/g)].map((match) => match[1]!)) {
        for (const name of NAMES) {
          const value = (p: string) =>
            p === param ? name : p === "model" && method === "PUT" ? PUT_MODEL : validParam(p);
          const path = template.replace(/{(\w+)}/g, (_, p: string) => encodeURIComponent(value(p)));
          const response = await send(path, requestFor(method, template));
          if (method === "PUT") expect(response.status, `${method} ${path}`).toBeLessThan(500);
          else await expectClean4xx(response, `${method} ${path}`);
          probes += 1;
        }
      }
    }
    expect(probes).toBeGreaterThan(100);
    await expectGoodRequestStillWorks();
  });

  it("are ordinary names when an operator creates them: a version and an alias called so serve normally", async () => {
    const made = "proto-made";
    expect((await uploadModel(made, scaleBy(3), { version: "constructor" })).status).toBe(201);
    const alias = await admin(
      `/admin/models/${made}/aliases/valueOf`,
      jsonInit("PUT", JSON.stringify({ version: "constructor" })),
    );
    expect(alias.status).toBe(200);
    for (const reference of ["constructor", "valueOf", "default"]) {
      const response = await call(`/v2/models/${made}/versions/${reference}/infer`, jsonInit("POST", scaleBody()));
      expect(Array.from(float32Of((await decodeResponse(response)).outputs.y!))).toEqual([3, 6, 9]);
    }
    expect(await json(call(`/v2/models/${made}/versions/constructor/ready`))).toMatchObject({ ready: true });
    await expectClean4xx(await call(`/v2/models/${made}/versions/toString/ready`), "a name that was not created");
    const manifest = await json(admin(`/admin/models/${made}`));
    expect(Object.keys(manifest.versions)).toEqual(["constructor"]);
  });
});
