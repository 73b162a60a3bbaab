/**
 * OCR test helpers inside workerd: read an image with the Worker (`POST /v1/run/{model}`, raw body, no cache) and
 * with the same pipeline on onnxruntime-node (REFERENCE `POST /ocr`), and compare the two.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { call, json } from "./worker";

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

const reference = (env as unknown as { REFERENCE: Fetcher }).REFERENCE;
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

/**
 * The same image read by the pipeline on onnxruntime-node (the bundled `ppocr`'s default version). workerd drops
 * the service binding's connection now and then after the isolate was busy for seconds (a page read on a loaded
 * machine) and marks the error retryable; the request is then sent again.
 */
export async function referenceOcr(bytes: Uint8Array, query = ""): Promise<OcrAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await reference.fetch(`http://reference/ocr${query}`, { method: "POST", body: bytes });
      if (!response.ok) throw new Error(await response.text());
      return await response.json();
    } catch (error) {
      if (attempt >= 3 || !(error as { retryable?: boolean }).retryable) throw error;
    }
  }
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
