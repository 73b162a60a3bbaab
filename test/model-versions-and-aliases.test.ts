/**
 * The registry in R2: versions are immutable and content-addressed, `default` follows new uploads unless told
 * otherwise, aliases resolve, a new version never answers with an old session, deletions keep weights another
 * version still uses, and concurrent admin writes lose nothing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { scaleBy } from "./support/fixtures";
import { decodeResponse, inferJson } from "./support/oip";
import { admin, json, uploadModel } from "./support/worker";

const x = Float32Array.of(1, 2, 3);
const infer = async (path: string) =>
  (await decodeResponse(await inferJson(path, [{ name: "x", datatype: "FP32", shape: [3], data: x }]))).outputs.y!.json;
const setAlias = (alias: string, version: string) =>
  admin(`/admin/models/scale/aliases/${alias}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ version }),
  });
const deleteVersion = (version: string) => admin(`/admin/models/scale/versions/${version}`, { method: "DELETE" });
const weightsStored = async (sha256: string) => (await env.MODELS.head(`models/scale/${sha256}.onnx`)) !== null;

const digests: Record<string, string> = {};

beforeAll(async () => {
  for (const [version, factor, makeDefault] of [
    ["1", 2, true],
    ["2", 3, true],
    ["3", 4, false],
  ] as const) {
    const response = await uploadModel("scale", scaleBy(factor), { version, makeDefault });
    expect(response.status).toBe(201);
    digests[version] = (await json(response)).sha256;
  }
});

describe("versions", () => {
  it("each version serves its own weights; default follows the latest upload unless ?default=false", async () => {
    expect(await infer("/v2/models/scale/versions/1/infer")).toEqual([2, 4, 6]);
    expect(await infer("/v2/models/scale/versions/2/infer")).toEqual([3, 6, 9]);
    expect(await infer("/v2/models/scale/versions/3/infer")).toEqual([4, 8, 12]);
    expect(await infer("/v2/models/scale/infer")).toEqual([3, 6, 9]);
    expect((await json(admin("/admin/models/scale"))).aliases).toEqual({ default: "2" });
  });

  it("weights are stored once under their sha256", async () => {
    for (const digest of Object.values(digests)) {
      const object = await env.MODELS.get(`models/scale/${digest}.onnx`);
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", await object!.arrayBuffer()));
      expect(Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("")).toBe(digest);
    }
  });

  it("re-uploading identical bytes is a no-op (200); other bytes under an existing version are refused (409)", async () => {
    const same = await uploadModel("scale", scaleBy(3), { version: "2" });
    expect(same.status).toBe(200);
    expect((await json(same)).sha256).toBe(digests["2"]);
    const other = await uploadModel("scale", scaleBy(5), { version: "2" });
    expect(other.status).toBe(409);
    expect((await json(other)).error.code).toBe("version_exists");
    expect(await infer("/v2/models/scale/versions/2/infer")).toEqual([3, 6, 9]);
  });

  it("a new default version is served at once, never by the previous session", async () => {
    expect(await infer("/v2/models/scale/infer")).toEqual([3, 6, 9]); // warm session of version 2
    expect((await setAlias("default", "3")).status).toBe(200);
    expect(await infer("/v2/models/scale/infer")).toEqual([4, 8, 12]);
    expect((await setAlias("default", "2")).status).toBe(200);
  });
});

describe("aliases", () => {
  it("an alias resolves like a version, in metadata and inference", async () => {
    expect((await setAlias("stable", "1")).status).toBe(200);
    expect(await infer("/v2/models/scale/versions/stable/infer")).toEqual([2, 4, 6]);
    const metadata = await json(admin("/admin/models/scale"));
    expect(metadata.aliases).toEqual({ default: "2", stable: "1" });
  });

  it("an alias to a missing version is 404 and a version name cannot become an alias", async () => {
    expect((await setAlias("broken", "99")).status).toBe(404);
    expect((await setAlias("1", "2")).status).toBe(409);
  });
});

describe("deletion", () => {
  it("refuses to delete a version an alias points at (409), then deletes it once the alias moves", async () => {
    const refused = await deleteVersion("1");
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.code).toBe("alias_in_use");
    expect((await setAlias("stable", "3")).status).toBe(200);
    expect((await deleteVersion("1")).status).toBe(200);
    const gone = await inferJson("/v2/models/scale/versions/1/infer", [
      { name: "x", datatype: "FP32", shape: [3], data: x },
    ]);
    expect(gone.status).toBe(404);
    expect(await weightsStored(digests["1"]!)).toBe(false);
  });

  it("keeps weights that another version still uses", async () => {
    expect((await uploadModel("scale", scaleBy(4), { version: "3b", makeDefault: false })).status).toBe(201);
    expect((await deleteVersion("3b")).status).toBe(200);
    expect(await weightsStored(digests["3"]!)).toBe(true);
    expect(await infer("/v2/models/scale/versions/3/infer")).toEqual([4, 8, 12]);
  });

  it("deleting a model removes its manifest and every weight", async () => {
    expect((await uploadModel("doomed", scaleBy(7))).status).toBe(201);
    expect((await admin("/admin/models/doomed", { method: "DELETE" })).status).toBe(204);
    expect((await admin("/admin/models/doomed")).status).toBe(404);
    expect((await env.MODELS.list({ prefix: "models/doomed/" })).objects).toHaveLength(0);
  });
});

describe("concurrency", () => {
  it("concurrent uploads of different versions all land in the manifest", async () => {
    const versions = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const responses = await Promise.all(
      versions.map((v, i) => uploadModel("scale", scaleBy(10 + i), { version: v, makeDefault: false })),
    );
    expect(responses.map((r) => r.status)).toEqual(versions.map(() => 201));
    const manifest = await json(admin("/admin/models/scale"));
    for (const v of versions) expect(manifest.versions[v]).toBeDefined();
  });

  it("lists models with their versions and aliases", async () => {
    const { models } = await json(admin("/admin/models"));
    const scale = models.find((m: { name: string }) => m.name === "scale");
    expect(scale).toMatchObject({
      name: "scale",
      task: "tensor",
      visibility: "public",
      aliases: { default: "2", stable: "3" },
    });
    expect(scale.versions).toEqual(["2", "3", "c1", "c2", "c3", "c4", "c5", "c6"]);
  });
});
