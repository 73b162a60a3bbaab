/**
 * The request path's own code, run once as the isolate starts (beside onnxruntime's start, ../../runtime/ort.ts). V8
 * compiles a function when it is first called, so a fresh isolate's first request would otherwise also pay for
 * compiling the stored manifest's schema and the OIP codec: about 5 ms of it on this machine (docs/design/cold-start.md).
 * Only pure work runs here: an isolate's start allows no I/O, timers or random values.
 */
import { type Manifest, ManifestSchema } from "../../registry/manifest";
import { decodeInferRequest, encodeInferResponse, materialize } from "../protocol/oip/codec";

const DIGEST = "0".repeat(64);
const tensors = [{ name: "x", datatype: "FP32" as const, shape: [-1, 2] }];

/** A stored manifest as the registry reads one from R2: a version with its runtime facts and an optimized graph. */
export const WARM_UP_MANIFEST: Manifest = {
  name: "warm-up",
  task: "tensor",
  visibility: "public",
  limits: { maxBatch: 8 },
  versions: {
    "1": {
      sha256: DIGEST,
      bytes: 1,
      inputs: tensors,
      outputs: [{ ...tensors[0]!, name: "y" }],
      opsets: { "ai.onnx": 17 },
      batchAxes: { x: 0 },
      runtime: { memory: { sessionBytes: 0, run: { fixedBytes: 0, bytesPerElement: 4 }, points: [[2, 8]] } },
      optimized: {
        sha256: DIGEST,
        bytes: 1,
        level: "basic",
        runtime: { memory: { sessionBytes: 0 } },
        createdAt: "2026-01-01T00:00:00.000Z",
      },
      createdAt: "2026-01-01T00:00:00.000Z",
    },
  },
  aliases: { default: "1" },
  updatedAt: "2026-01-01T00:00:00.000Z",
};

/** Parses a manifest, decodes an OIP request (binary and JSON) and encodes its response, as a request would. */
export function warmRequestPath(): void {
  ManifestSchema.parse(WARM_UP_MANIFEST);
  const encoder = new TextEncoder();
  const header = encoder.encode(
    JSON.stringify({
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], parameters: { binary_data_size: 8 } }],
      parameters: { binary_data_output: true },
    }),
  );
  const body = new Uint8Array(header.byteLength + 8);
  body.set(header);
  const binary = decodeInferRequest(
    new Headers({ "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": `${header.length}` }),
    body,
  );
  const json = decodeInferRequest(
    new Headers({ "Content-Type": "application/json" }),
    encoder.encode(JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], data: [1, 2] }] })),
  );
  const head = { model_name: "warm-up", model_version: "1" };
  for (const [request, asBinary] of [
    [binary, true],
    [json, false],
  ] as const) {
    encodeInferResponse(head, [{ name: "y", binary: asBinary, tensor: materialize(request.inputs[0]!) }]);
  }
}
