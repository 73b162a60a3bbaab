/**
 * The OIP inference data plane: resolve the model, decode and check the request against its signature, limits
 * and compute budget (before any tensor data is converted), run it, encode the response.
 */
import type { Context } from "hono";
import { setMetric } from "hono/timing";
import type { ResolvedModel } from "../../registry/registry";
import { batchSize, effectiveBatchAxes } from "../../runtime/batch-axes";
import type { RunTimings } from "../../runtime/session-pool";
import { checkInputs, checkOutputs, type TensorSpec } from "../../runtime/signature";
import type { NamedTensors } from "../../runtime/tensor";
import type { AppEnv } from "../context";
import {
  type DecodedRequest,
  decodeInferRequest,
  encodeInferResponse,
  materialize,
  type ResponseOutput,
  tensorBytes,
} from "../protocol/oip/codec";
import { cachedResponse } from "./caching";
import { modelLimits } from "./limits";
import { metered } from "./metering";
import { readAhead } from "./read-ahead";
import { takeRunSlot } from "./run-slots";
import { recordColdStart } from "./timings";

export interface PreparedInference {
  request: DecodedRequest;
  inputs: NamedTensors;
  /** Output names the client asked for; undefined for all. */
  outputNames?: string[];
  /** The batch size every input with a batch dimension agrees on (1 when none has one): the metered units. */
  batch: number;
}

/** Decodes the request body and checks it against the model; tensors are built only once the checks pass. */
export async function prepareInference(c: Context<AppEnv>, model: ResolvedModel): Promise<PreparedInference> {
  const request = decodeInferRequest(c.req.raw.headers, new Uint8Array(await c.req.arrayBuffer()));
  const { maxElements } = modelLimits(c.get("config"), model.manifest);
  checkInputs(model.entry, request.inputs, { maxElements });
  // OIP batches are bounded only where the manifest says so; tasks split theirs at the default maxBatch
  const axes = effectiveBatchAxes(model.entry.inputs, model.entry.batchAxes, model.manifest.batchAxes);
  const batch = batchSize(request.inputs, axes, model.manifest.limits?.maxBatch);
  const outputNames = request.outputs?.map((output) => output.name);
  if (outputNames) checkOutputs(model.entry, outputNames);
  c.get("runtime").check(model.source, request.inputs); // dims and memory, before any tensor is built
  const inputs: NamedTensors = {};
  for (const input of request.inputs) inputs[input.name] = materialize(input);
  return { request, inputs, outputNames, batch };
}

/** OIP inference on a resolved model; also what `POST /v1/run/{model}` does for `tensor` models. */
export async function serveInference(c: Context<AppEnv>, model: ResolvedModel): Promise<Response> {
  readAhead(c, model);
  const observation = c.get("observation");
  const decoding = performance.now();
  const { request, inputs, outputNames, batch } = await prepareInference(c, model);
  observation.inputMs += performance.now() - decoding;
  const cacheSpec = {
    model,
    task: "oip",
    options: [request.id ?? null, request.outputs ?? null, request.binaryOutputs],
    inputs: canonicalInputs(inputs),
  };
  const release = takeRunSlot(c);
  return metered(c, { model: model.manifest.name, version: model.version, units: batch }, (gate) =>
    cachedResponse(c, cacheSpec, gate, async () => {
      const runtime = c.get("runtime");
      const { outputs, timings } = await runtime.run(model.source, inputs, outputNames);
      recordTimings(c, timings);
      const encoding = performance.now();
      const { body, headers } = encodeInferResponse(
        { model_name: model.manifest.name, model_version: model.version, id: request.id },
        selectOutputs(model.entry.outputs, outputs, request),
        c.get("config").maxJsonResponseBytes,
      );
      observation.outputMs += performance.now() - encoding;
      observation.sessionBytes = runtime.sessionBytes(model.source.digest);
      return c.body(body as ArrayBuffer, 200, headers);
    }),
  ).finally(release);
}

/** Each input's name, datatype and shape, then its data bytes: the same tensors hash alike, JSON or binary. */
function canonicalInputs(inputs: NamedTensors): Uint8Array[] {
  return Object.entries(inputs)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, tensor]) => [
      new TextEncoder().encode(JSON.stringify([name, tensor.datatype, tensor.shape])),
      tensorBytes(tensor),
    ]);
}

function selectOutputs(specs: TensorSpec[], outputs: NamedTensors, request: DecodedRequest): ResponseOutput[] {
  const wanted = request.outputs ?? specs.map((spec) => ({ name: spec.name, binary: request.binaryOutputs }));
  return wanted.map(({ name, binary }) => ({ name, binary, tensor: outputs[name]! }));
}

/** Server-Timing entries for the stages of one run (cold stages only on a cold run), and the request's observation. */
function recordTimings(c: Context<AppEnv>, timings: RunTimings): void {
  recordColdStart(c, timings);
  setMetric(c, "queue", timings.queue);
  setMetric(c, "infer", timings.run);
  const observation = c.get("observation");
  observation.queueMs += timings.queue;
  observation.inferMs += timings.run;
  observation.runs += 1;
}
