/**
 * `POST /ocr` for the REFERENCE service: the `ocr` pipeline with onnxruntime-node's native sessions
 * (scripts/ocr/node-pipeline.ts), the same decoding, pre- and post-processing as the Worker around an independent
 * runtime. Body: the image file's bytes; options in the query string. Answers `{angle, skew, lines: [{text, score, box}]}`.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../../scripts/lib/bundled-models.ts";
import type { createNodeOcr } from "../../scripts/ocr/node-pipeline.ts";

type NodeOcr = Awaited<ReturnType<typeof createNodeOcr>>;
let pipeline: Promise<NodeOcr> | undefined;

/** Loaded through tsx at first use, so the test config does not bundle the Worker's sources into itself. */
async function load(): Promise<NodeOcr> {
  const { tsImport } = await import("tsx/esm/api");
  const module = (await tsImport(pathToFileURL(join(ROOT, "scripts/ocr/node-pipeline.ts")).href, import.meta.url)) as {
    createNodeOcr: typeof createNodeOcr;
  };
  return module.createNodeOcr("onnxruntime-node");
}

/** Options as the Worker takes them in a query string: `orientation=line`, `deskew=false`. */
export async function ocrReference(
  image: Uint8Array,
  query = new URLSearchParams(),
): Promise<{
  angle: number;
  skew: number;
  lines: { text: string; score: number; box: readonly (readonly number[])[] }[];
}> {
  pipeline ??= load();
  const orientation = query.get("orientation") ?? undefined;
  const deskew = query.has("deskew") ? query.get("deskew") === "true" : undefined;
  const { angle, skew, lines } = await (await pipeline)(image, { orientation: orientation as never, deskew });
  return { angle, skew, lines };
}
