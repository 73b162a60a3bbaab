// OIP request bodies for the benchmark, built from the sample inputs: JSON, and the binary tensor extension
// (inputs and outputs as raw little-endian bytes), which is what a latency-minded client sends.
import { sampleInputs } from "../lib/sample-inputs.mjs";

const ARRAYS = { FP32: Float32Array, INT64: BigInt64Array };

/** Typed arrays of the sample inputs, for in-process runtimes (onnxruntime-node / -web). */
export function sampleTensors(manifest, seed) {
  return sampleInputs(manifest, seed).map(({ name, datatype, shape, data }) => {
    const Array_ = ARRAYS[datatype];
    return { name, datatype, shape, data: datatype === "INT64" ? Array_.from(data, BigInt) : Array_.from(data) };
  });
}

const auth = (apiKey) => (apiKey ? { Authorization: `Bearer ${apiKey}` } : {});

/** Makes a request skip the response cache, so that it measures inference. */
export function uncached(request) {
  return { ...request, headers: { ...request.headers, "Cache-Control": "no-store" } };
}

export function jsonRequest(manifest, apiKey) {
  return {
    headers: { ...auth(apiKey), "Content-Type": "application/json" },
    body: JSON.stringify({ inputs: sampleInputs(manifest) }),
  };
}

export function binaryRequest(manifest, apiKey, seed) {
  const tensors = sampleTensors(manifest, seed);
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
    body,
  };
}
