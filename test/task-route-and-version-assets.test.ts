/**
 * The task route and the files tasks need beside the weights: `POST /v1/run/{model}[@version]` serves `tensor`
 * models with OIP tensors, and every version pins the assets present when it was uploaded, so replacing an asset
 * never changes what an existing version answers.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { admin, call, json, uploadModel } from "./support/worker";

const putAsset = (model: string, name: string, text: string) =>
  admin(`/admin/models/${model}/assets/${name}`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: new TextEncoder().encode(text),
  });
const run = (
  reference: string,
  body: unknown,
  headers: Record<string, string> = { "Content-Type": "application/json" },
) =>
  call(`/v1/run/${reference}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const tensors = { inputs: [{ name: "x", datatype: "FP32", shape: [3], data: [1, 2, 3] }] };

describe("POST /v1/run on tensor models", () => {
  beforeAll(async () => {
    expect((await uploadModel("run-scale", scaleBy(2), { version: "1" })).status).toBe(201);
    expect((await uploadModel("run-scale", scaleBy(3), { version: "2", makeDefault: false })).status).toBe(201);
  });

  it("takes OIP tensors and answers OIP outputs, for the default version and for name@version", async () => {
    const answer = await json(run("run-scale", tensors));
    expect(answer).toMatchObject({
      model_name: "run-scale",
      model_version: "1",
      outputs: [{ name: "y", datatype: "FP32", shape: [3], data: [2, 4, 6] }],
    });
    expect((await json(run("run-scale@2", tensors))).outputs[0].data).toEqual([3, 6, 9]);
    expect((await json(run("run-scale@default", tensors))).outputs[0].data).toEqual([2, 4, 6]);
  });

  it("answers errors in the /v1 shape: unknown model or version 404, bad tensors 422, malformed references 400", async () => {
    const unknown = await run("no-such-model", tensors);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ code: "model_not_found" });
    expect((await run("run-scale@9", tensors)).status).toBe(404);
    const mismatch = await run("run-scale", { inputs: [{ name: "nope", datatype: "FP32", shape: [1], data: [1] }] });
    expect(mismatch.status).toBe(422);
    expect((await json(mismatch)).error.code).toBe("tensor_mismatch");
    expect((await run("run-scale@", tensors)).status).toBe(400);
    expect((await run("run-scale", "{not json")).status).toBe(400);
  });
});

describe("version assets", () => {
  it("a version pins the assets present at its upload; replacing an asset affects only later versions", async () => {
    await uploadModel("assets-demo", scaleBy(1), { version: "0" }).then((r) => expect(r.status).toBe(201));
    const first = await json(putAsset("assets-demo", "vocab.txt", "alpha"));
    expect(first).toMatchObject({ model: "assets-demo", name: "vocab.txt", bytes: 5 });
    expect((await uploadModel("assets-demo", scaleBy(2), { version: "1" })).status).toBe(201);
    const second = await json(putAsset("assets-demo", "vocab.txt", "beta"));
    expect((await uploadModel("assets-demo", scaleBy(3), { version: "2" })).status).toBe(201);

    const manifest = await json(admin("/admin/models/assets-demo"));
    expect(manifest.versions["0"].assets).toBeUndefined();
    expect(manifest.versions["1"].assets).toEqual({ "vocab.txt": { sha256: first.sha256, bytes: 5 } });
    expect(manifest.versions["2"].assets).toEqual({ "vocab.txt": { sha256: second.sha256, bytes: 4 } });
    expect(manifest.assets).toEqual({ "vocab.txt": { sha256: second.sha256, bytes: 4 } });
    expect(await (await env.MODELS.get(`models/assets-demo/assets/${first.sha256}`))!.text()).toBe("alpha");

    // deleting the only version that pinned "alpha" removes its bytes; "beta" stays, still in use
    expect((await admin("/admin/models/assets-demo/versions/1", { method: "DELETE" })).status).toBe(200);
    expect(await env.MODELS.head(`models/assets-demo/assets/${first.sha256}`)).toBeNull();
    expect(await env.MODELS.head(`models/assets-demo/assets/${second.sha256}`)).not.toBeNull();
  });

  it("refuses assets with a bad name (400), the wrong content type (415) or for an unknown model (404)", async () => {
    expect((await putAsset("assets-demo", ".hidden", "x")).status).toBe(400);
    expect(
      (
        await admin("/admin/models/assets-demo/assets/a.json", {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(415);
    expect((await putAsset("no-such-model", "a.txt", "x")).status).toBe(404);
  });
});
