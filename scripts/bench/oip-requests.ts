/**
 * Requests for the benchmark: OIP bodies built from the sample inputs, as JSON and as the binary tensor extension
 * (inputs and outputs as raw little-endian bytes, what a latency-minded client sends), and JSON task requests.
 */
import type { BundledManifest } from "../lib/bundled-manifest";
import { sampleInputs } from "../lib/sample-inputs";
import { postTimed, type Timing } from "./measure";

export interface SampleTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

export interface BenchRequest {
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Typed arrays of the sample inputs, for in-process runtimes (onnxruntime-node / -web). */
export function sampleTensors(manifest: BundledManifest, seed?: number): SampleTensor[] {
  return sampleInputs(manifest, seed).map(({ name, datatype, shape, data }) => ({
    name,
    datatype,
    shape,
    data: datatype === "INT64" ? BigInt64Array.from(data, BigInt) : Float32Array.from(data),
  }));
}

const auth = (apiKey: string | undefined): Record<string, string> =>
  apiKey ? { Authorization: `Bearer ${apiKey}` } : {};

/** Makes a request skip the response cache, so that it measures inference. */
export function uncached<R extends BenchRequest>(request: R): R {
  return { ...request, headers: { ...request.headers, "Cache-Control": "no-store" } };
}

/**
 * POSTs JSON bodies to paths of `baseUrl` with `apiKey` and `Cache-Control: no-store` (every call runs the model);
 * resolves to each answer's Server-Timing.
 */
export function uncachedJsonPoster(baseUrl: string, apiKey?: string): (path: string, body: unknown) => Promise<Timing> {
  const headers = { ...auth(apiKey), "Content-Type": "application/json", "Cache-Control": "no-store" };
  return (path, body) => postTimed(`${baseUrl}${path}`, { headers, body: JSON.stringify(body) });
}

export function jsonRequest(manifest: BundledManifest, apiKey?: string): BenchRequest {
  return {
    headers: { ...auth(apiKey), "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: sampleInputs(manifest) }),
  };
}

export function binaryRequest(
  manifest: BundledManifest,
  apiKey?: string,
  seed?: number,
): BenchRequest & { body: Uint8Array } {
  return binaryTensorRequest(sampleTensors(manifest, seed), apiKey);
}

/** An OIP binary-extension request for these tensors, asking for binary outputs. */
export function binaryTensorRequest(
  tensors: readonly SampleTensor[],
  apiKey?: string,
): BenchRequest & { body: Uint8Array } {
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: tensors.map(({ name, datatype, shape, data }) => ({
        name,
        datatype,
        shape,
        parameters: { binary_data_size: data.byteLength },
      })),
      parameters: { binary_data_output: true },
    }),
  );
  const body = Buffer.concat([header, ...tensors.map((t) => new Uint8Array(t.data.buffer))]);
  return {
    headers: {
      ...auth(apiKey),
      "Content-Type": "application/octet-stream",
      "Inference-Header-Content-Length": String(header.byteLength),
    },
    body: new Uint8Array(body),
  };
}
