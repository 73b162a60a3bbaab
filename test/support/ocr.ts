/**
 * OCR test helpers inside workerd: read an image with the Worker (`POST /v1/run/{model}`, raw body, no cache) and
 * with the same pipeline on onnxruntime-node (REFERENCE `POST /ocr`), compare the two; lay an image on a bigger page.
 */
import { expect } from "vitest";
import { encodeRgbPng } from "./png";
import { call, fromBase64, json, reference, toBase64 } from "./worker";

export interface OcrLine {
  text: string;
  score: number;
  box: [number, number][];
}
export interface OcrAnswer {
  angle: number;
  skew: number;
  lines: OcrLine[];
}

export const NO_CACHE = { "Cache-Control": "no-store" };

export const imageType = (file: string) => (file.endsWith(".png") ? "image/png" : "image/jpeg");

/** `POST /v1/run/{model}[?query]` with the image as the body. */
export function postImage(bytes: Uint8Array, type: string, model = "ppocr", query = ""): Promise<Response> {
  return call(`/v1/run/${model}${query}`, {
    method: "POST",
    headers: { "Content-Type": type, ...NO_CACHE },
    body: bytes,
  });
}

/** The Worker's answer for an image; fails the test on anything but 200. */
export async function readImage(bytes: Uint8Array, type: string, query = ""): Promise<OcrAnswer> {
  const response = await postImage(bytes, type, "ppocr", query);
  expect(response.status, await response.clone().text()).toBe(200);
  return json<OcrAnswer>(response);
}

/** The same image read by the pipeline on onnxruntime-node (the bundled `ppocr`'s default version). */
export async function referenceOcr(bytes: Uint8Array, query = ""): Promise<OcrAnswer> {
  const response = await reference.fetch(`http://reference/ocr${query}`, { method: "POST", body: bytes });
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

/** Same text line for line, boxes within a pixel, scores within 0.01, integer corners inside the image. */
export function expectSameLines(lines: readonly OcrLine[], expected: readonly OcrLine[], what: string): void {
  expect(
    lines.map((l) => l.text),
    what,
  ).toEqual(expected.map((l) => l.text));
  lines.forEach((line, i) => {
    const corners = expected[i]!.box.flat();
    line.box
      .flat()
      .forEach((v, k) => expect(Math.abs(v - corners[k]!), `${what} line ${i} box`).toBeLessThanOrEqual(1));
    expect(Math.abs(line.score - expected[i]!.score), `${what} line ${i} score`).toBeLessThan(0.01);
    expect(line.box.flat().every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
  });
}

/**
 * The image (decoded by sharp, through REFERENCE) laid in the bottom-right corner of a white page of this size, as a
 * PNG.
 */
export async function onWhitePage(image: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const response = await reference.fetch("http://reference/image/decode", {
    method: "POST",
    body: JSON.stringify({ base64: toBase64(image) }),
  });
  if (!response.ok) throw new Error(await response.text());
  const decoded = (await response.json()) as { width: number; height: number; base64: string };
  const rgba = fromBase64(decoded.base64);
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const [left, top] = [width - decoded.width - 8, height - decoded.height - 8];
  for (let y = 0; y < decoded.height; y++)
    for (let x = 0; x < decoded.width; x++)
      for (let c = 0; c < 3; c++) rgb[((top + y) * width + left + x) * 3 + c] = rgba[(y * decoded.width + x) * 4 + c]!;
  return encodeRgbPng(width, height, rgb);
}
