/**
 * image-classification (`POST /v1/run/mnist-digits`, the bundled digit classifier): the 120 committed held-out
 * digit images (test/data/digits, PNG and JPEG, 28..256 px, both polarities, transparent, palette, 16-bit) are
 * classified at the accuracy measured when they were made (119/120) less a margin; the scores equal
 * onnxruntime-node's softmax on tensors an independent Node implementation of the preprocessing made from sharp's
 * decoding (PNG and JPEG, 1e-4: the Worker's libjpeg-turbo gives sharp's pixels); raw bodies, `{image: number[]}` and `{image: number[][]}` (split into session calls of `maxBatch`) agree;
 * bad input is 400/413/415/422 and a good request works after each; one unit per image.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  BUNDLED,
  call,
  createKey,
  createTenant,
  expectClose,
  json,
  reference,
  repoFile,
  repoText,
  seedBundled,
  toBase64,
  withKey,
} from "./support/worker";

const MODEL = "mnist-digits";
const MANIFEST = BUNDLED[MODEL]! as unknown as {
  preprocess: Record<string, unknown>;
  limits: { maxBatch: number; maxItems: number };
  versions: Record<string, { file: string }>;
  aliases: { default: string };
};
/** 119 of 120 when the set was made (scripts/models/make-digit-images.ts); a margin of 3 images. */
const MIN_CORRECT = 116;
const TOLERANCE = 1e-4;

interface Digit {
  file: string;
  label: string;
  variant: string;
  bytes: Uint8Array;
}
interface LabelScore {
  label: string;
  score: number;
}

let digits: Digit[] = [];

const contentType = (file: string) => (file.endsWith(".png") ? "image/png" : "image/jpeg");
const NO_CACHE = { "Cache-Control": "no-store" };

function postImage(bytes: Uint8Array, type: string, query = ""): Promise<Response> {
  return call(`/v1/run/${MODEL}${query}`, {
    method: "POST",
    headers: { "Content-Type": type, ...NO_CACHE },
    body: bytes,
  });
}
function postJson(body: unknown): Promise<Response> {
  return call(`/v1/run/${MODEL}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...NO_CACHE },
    body: JSON.stringify(body),
  });
}
const byLabel = (scores: LabelScore[]) =>
  Array.from({ length: 10 }, (_, d) => scores.find((s) => s.label === String(d))!.score);

async function referenceScores(images: Uint8Array[]): Promise<number[][]> {
  // the version the route serves by default (the int8 one), run by onnxruntime-node
  const body = {
    model: { file: MANIFEST.versions[MANIFEST.aliases.default]!.file },
    input: "image",
    output: "logits",
    images: images.map(toBase64),
    preprocess: MANIFEST.preprocess,
  };
  const response = await reference.fetch("http://reference/image/classify", {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(await response.text());
  return ((await response.json()) as { scores: number[][] }).scores;
}

beforeAll(async () => {
  await seedBundled(MODEL);
  const index = JSON.parse(await repoText("test/data/digits/index.json")) as Omit<Digit, "bytes">[];
  digits = await Promise.all(
    index.map(async (item) => ({ ...item, bytes: await repoFile(`test/data/digits/${item.file}`) })),
  );
});

describe("classifies held-out digits", () => {
  it(`gets at least ${MIN_CORRECT} of the 120 committed images right, sent as raw PNG/JPEG bodies`, async () => {
    expect(digits).toHaveLength(120);
    const wrong: string[] = [];
    for (const digit of digits) {
      const response = await postImage(digit.bytes, contentType(digit.file), "?top_k=1");
      expect(response.status, digit.file).toBe(200);
      const [best] = await json<LabelScore[]>(response);
      if (best!.label !== digit.label) wrong.push(`${digit.file} (${digit.variant}) → ${best!.label}`);
    }
    expect(wrong.length, wrong.join("; ")).toBeLessThanOrEqual(120 - MIN_CORRECT);
  });

  it("answers the top 5 by default, best first, with softmax scores", async () => {
    const digit = digits.find((d) => d.file.endsWith(".png"))!;
    const top5 = await json<LabelScore[]>(postImage(digit.bytes, "image/png"));
    expect(top5).toHaveLength(5);
    expect(top5.map((s) => s.score)).toEqual([...top5.map((s) => s.score)].sort((a, b) => b - a));
    const all = await json<LabelScore[]>(postImage(digit.bytes, "image/png", "?top_k=10"));
    expect(all.map((s) => s.label).sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(all.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 5);
    expect(all.slice(0, 5)).toEqual(top5);
    expect(await json(postImage(digit.bytes, "image/png", "?top_k=50"))).toHaveLength(10);
  });
});

describe("scores equal onnxruntime-node on independently preprocessed images", () => {
  for (const [format, extension, type] of [
    ["PNG", ".png", "image/png"],
    ["JPEG", ".jpg", "image/jpeg"],
  ] as const) {
    it(`${format}: sharp decoding + reference preprocessing + onnxruntime-node, within 1e-4`, async () => {
      const files = digits.filter((d) => d.file.endsWith(extension));
      expect(files.length).toBeGreaterThan(10);
      const expected = await referenceScores(files.map((d) => d.bytes));
      for (const [i, digit] of files.entries()) {
        const scores = await json<LabelScore[]>(postImage(digit.bytes, type, "?top_k=10"));
        expectClose(byLabel(scores), expected[i]!, TOLERANCE);
      }
    });
  }
});

describe("request forms", () => {
  it("{image: number[]} answers what the raw body answers", async () => {
    for (const digit of digits.slice(0, 6)) {
      const raw = await json(postImage(digit.bytes, contentType(digit.file), "?top_k=3"));
      expect(await json(postJson({ image: Array.from(digit.bytes), top_k: 3 }))).toEqual(raw);
    }
  });

  it("{image: number[][]} answers one list per image, in order, split into session calls of maxBatch", async () => {
    const batch = digits.slice(0, MANIFEST.limits.maxBatch + 8);
    const response = await postJson({ image: batch.map((d) => Array.from(d.bytes)), top_k: 2 });
    expect(response.status).toBe(200);
    expect(response.headers.get("Server-Timing")).toMatch(/infer;dur=[\d.]+;desc="2 session runs"/);
    const lists = await json<LabelScore[][]>(response);
    expect(lists).toHaveLength(batch.length);
    for (const [i, digit] of batch.entries()) {
      const single = await json<LabelScore[]>(postImage(digit.bytes, contentType(digit.file), "?top_k=2"));
      expect(lists[i]!.map((s) => s.label)).toEqual(single.map((s) => s.label));
      expectClose(
        lists[i]!.map((s) => s.score),
        single.map((s) => s.score),
        1e-6,
      );
    }
  });

  it("meters one unit per image", async () => {
    const tenant = await createTenant({ name: "image units", limits: { requestsPerMinute: 1000, monthlyUnits: 100 } });
    const { key } = await createKey(tenant.id);
    const send = (body: unknown, type = "application/json") =>
      withKey(key, `/v1/run/${MODEL}`, {
        method: "POST",
        headers: { "Content-Type": type, ...NO_CACHE },
        body: type === "application/json" ? JSON.stringify(body) : (body as Uint8Array),
      });
    expect((await send(digits[0]!.bytes, "image/png")).status).toBe(200);
    expect((await send({ image: digits.slice(0, 3).map((d) => Array.from(d.bytes)) })).status).toBe(200);
    expect((await json(admin(`/admin/tenants/${tenant.id}/usage`))).totals.units).toBe(4);
  });
});

describe("bad input gets a clear 4xx, and the next good request works", () => {
  const png = () => digits.find((d) => d.file.endsWith(".png"))!.bytes;
  const hugePngHeader = () => {
    // the 33-byte signature + IHDR of a 5000x5000 PNG, with no image data: refused from the header alone
    const header = png().slice(0, 33);
    new DataView(header.buffer).setUint32(16, 5000);
    new DataView(header.buffer).setUint32(20, 5000);
    return header;
  };
  const cases: { name: string; send: () => Promise<Response>; status: number; code: string; message?: RegExp }[] = [
    {
      name: "a GIF content type",
      send: () => postImage(png(), "image/gif"),
      status: 415,
      code: "unsupported_media_type",
    },
    { name: "text/plain", send: () => postImage(png(), "text/plain"), status: 415, code: "unsupported_media_type" },
    {
      name: "no content type",
      send: () => call(`/v1/run/${MODEL}`, { method: "POST", body: png() }),
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "text sent as image/png",
      send: () => postImage(new TextEncoder().encode("hello"), "image/png"),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "a truncated PNG",
      send: () => postImage(png().slice(0, 100), "image/png"),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "a PNG labelled image/jpeg (decoded by its signature)",
      send: () => postImage(png(), "image/jpeg"),
      status: 200,
      code: "",
    },
    {
      name: "JSON bytes that are no image",
      send: () => postJson({ image: [1, 2, 3, 4] }),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "a 5000x5000 PNG header",
      send: () => postImage(hugePngHeader(), "image/png"),
      status: 413,
      code: "too_many_pixels",
      message: /5000x5000/,
    },
    {
      name: "one huge image in a list",
      send: () => postJson({ image: [Array.from(png()), Array.from(hugePngHeader())] }),
      status: 413,
      code: "too_many_pixels",
      message: /^image 1: a 5000x5000 PNG/,
    },
    {
      name: "one broken image in a list",
      send: () => postJson({ image: [Array.from(png()), Array.from(png().slice(0, 100))] }),
      status: 422,
      code: "invalid_media",
      message: /^image 1: the PNG image could not be decoded/,
    },
    {
      name: "more images than maxItems",
      send: () => postJson({ image: Array.from({ length: MANIFEST.limits.maxItems + 1 }, () => Array.from(png())) }),
      status: 413,
      code: "batch_too_large",
    },
    { name: "a byte above 255", send: () => postJson({ image: [137, 80, 300] }), status: 400, code: "invalid_request" },
    { name: "an empty image", send: () => postJson({ image: [] }), status: 400, code: "invalid_request" },
    {
      name: "an image as a string",
      send: () => postJson({ image: "iVBORw0KGgo=" }),
      status: 400,
      code: "invalid_request",
    },
    {
      name: "top_k 0",
      send: () => postJson({ image: Array.from(png()), top_k: 0 }),
      status: 400,
      code: "invalid_request",
    },
    {
      name: "?top_k=abc",
      send: () => postImage(png(), "image/png", "?top_k=abc"),
      status: 400,
      code: "invalid_request",
      message: /top_k/,
    },
    {
      name: "an unknown field",
      send: () => postJson({ image: Array.from(png()), topk: 2 }),
      status: 400,
      code: "invalid_request",
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}${c.code ? ` ${c.code}` : ""}`, async () => {
      const response = await c.send();
      const body = await response.text();
      expect(response.status, body).toBe(c.status);
      if (c.code) {
        expect(JSON.parse(body).error.code).toBe(c.code);
        if (c.message) expect(JSON.parse(body).error.message).toMatch(c.message);
      }
      const good = await postImage(png(), "image/png", "?top_k=1");
      expect(good.status).toBe(200);
      expect((await json<LabelScore[]>(good))[0]!.label).toBe(digits.find((d) => d.file.endsWith(".png"))!.label);
    });
  }
});

describe("manifest configuration", () => {
  const put = (name: string, manifest: unknown) =>
    admin(`/admin/models/${name}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(manifest),
    });

  it("rejects an invalid preprocess at upload (422 invalid_manifest)", async () => {
    for (const preprocess of [
      { channels: "cmyk" },
      { fit: "squash" },
      { channels: "rgb", mean: [0.1, 0.2] },
      { width: 0 },
      { invert: "maybe" },
      { unknown: 1 },
    ]) {
      const response = await put("digits-bad-config", { task: "image-classification", preprocess });
      expect(response.status, JSON.stringify(preprocess)).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    }
  });

  it("a preprocess that does not fit the model's input is 422 invalid_manifest at request time", async () => {
    const name = "digits-rgb-config";
    expect((await put(name, { task: "image-classification", preprocess: { channels: "rgb" } })).ok).toBe(true);
    const upload = await admin(`/admin/models/${name}/versions/1`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: await repoFile(MANIFEST.versions["1"]!.file),
    });
    expect(upload.status).toBe(201);
    const response = await call(`/v1/run/${name}`, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: png(),
    });
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({
      code: "invalid_manifest",
      message: expect.stringMatching(/takes 1 channels.*gives 3/),
    });
  });

  function png() {
    return digits.find((d) => d.file.endsWith(".png"))!.bytes;
  }
});
