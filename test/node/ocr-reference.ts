/**
 * `POST /ocr` for the REFERENCE service: the `ocr` pipeline with onnxruntime-node's native sessions
 * (scripts/ocr/node-pipeline.ts), the same decoding, pre- and post-processing as the Worker around an independent
 * runtime. Body: the image file's bytes. Answers `{lines: [{text, score, box}]}`.
 */
import { createNodeOcr } from "../../scripts/ocr/node-pipeline.ts";

let pipeline: ReturnType<typeof createNodeOcr> | undefined;

export async function ocrReference(image: Uint8Array): Promise<{ lines: { text: string; score: number; box: readonly (readonly number[])[] }[] }> {
  pipeline ??= createNodeOcr("onnxruntime-node");
  const { lines } = await (await pipeline)(image);
  return { lines };
}
