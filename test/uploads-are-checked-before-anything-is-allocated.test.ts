/**
 * Regression: uploads that could hang or bloat the Worker were accepted, or refused only after onnxruntime had
 * allocated for them (a 1 GiB constant left +768 MiB of heap; a 100k-node graph took 13 s to refuse; an unbounded
 * Loop hung the isolate on its first run), and refused or deleted versions kept their sessions. Now the graph is
 * checked first: refused uploads leave the WASM heap, the session pool and R2 exactly as they were; loops are
 * bounded (their results checked against onnxruntime-node); deleting a version or a model releases its sessions.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  constantOfShape,
  countingLoop,
  identityChain,
  scaleBy,
  sequenceOutput,
  unknownOperator,
} from "./support/fixtures";
import { decodeResponse, inferJson } from "./support/oip";
import { admin, json, referenceRun, toBase64, uploadModel } from "./support/worker";

const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;

interface Snapshot {
  heap: number;
  sessions: string[];
  objects: string[];
}

async function snapshot(model: string): Promise<Snapshot> {
  const runtime = await json(admin("/admin/runtime"));
  const listed = await bucket.list({ prefix: `models/${model}/` });
  return {
    heap: runtime.wasmMemoryBytes,
    sessions: runtime.sessions.map((s: { digest: string }) => s.digest).sort(),
    objects: listed.objects.map((o) => o.key).sort(),
  };
}

/** Creates the model's manifest, then snapshots, then uploads `bytes` as version 1: the snapshot sees the manifest. */
async function refusedUpload(model: string, bytes: Uint8Array): Promise<{ before: Snapshot; response: Response }> {
  const manifest = await admin(`/admin/models/${model}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ task: "tensor" }),
  });
  expect(manifest.ok).toBe(true);
  const before = await snapshot(model);
  const response = await admin(`/admin/models/${model}/versions/1`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  return { before, response };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = await response.json<{ error: { code: string; message: string } }>();
  return { status: response.status, code: body.error.code, message: body.error.message };
}

const x = (value: number) => ({ name: "x", datatype: "FP32", shape: [1], data: Float32Array.of(value) });
const trips = (count: number) => ({
  name: "trips",
  datatype: "INT64",
  shape: [],
  data: BigInt64Array.of(BigInt(count)),
});

describe("refused uploads change nothing", () => {
  beforeAll(async () => {
    // a model loaded first, so that onnxruntime is up and its heap measurable
    expect((await uploadModel("checked-baseline", scaleBy(2))).status).toBe(201);
    expect((await inferJson("/v2/models/checked-baseline/infer", [x(1)])).status).toBe(200);
  }, 120_000);

  const refusals: { what: string; bytes: () => Uint8Array; says: RegExp[] }[] = [
    {
      what: "a 1 GiB constant built by ConstantOfShape",
      bytes: () => constantOfShape(256 * 1024 * 1024),
      says: [/ConstantOfShape/, /1024\.0 MiB/, /at most 40\.0 MiB/],
    },
    {
      what: "a graph of 100,000 nodes",
      bytes: () => identityChain(100_000),
      says: [/more than 20000 nodes/, /MAX_GRAPH_NODES/],
    },
    {
      what: "a Loop without a trip count",
      bytes: () => countingLoop("none"),
      says: [/Loop/, /no trip count/, /limits\.maxLoopIterations/],
    },
    {
      what: "a Loop with a trip count past the limit",
      bytes: () => countingLoop(1e15),
      says: [/runs 1000000000000000 times/, /the limit is 10000/],
    },
    {
      what: "a Loop whose trip count the caller sends",
      bytes: () => countingLoop("input"),
      says: [/takes its trip count from the request/, /limits\.maxLoopIterations/],
    },
  ];

  for (const { what, bytes, says } of refusals) {
    it(`refuses ${what} with 422 before onnxruntime sees it`, async () => {
      const name = `refused-${what.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 60);
      const { before, response } = await refusedUpload(name, bytes());
      const refused = await errorOf(response);
      expect(refused.status).toBe(422);
      expect(refused.code).toBe("invalid_model");
      for (const pattern of says) expect(refused.message).toMatch(pattern);
      expect(await snapshot(name)).toEqual(before);
    });
  }

  it("refuses a model onnxruntime cannot load without keeping a session or its weights", async () => {
    const { before, response } = await refusedUpload("refused-by-onnxruntime", unknownOperator());
    const refused = await errorOf(response);
    expect(refused.status).toBe(422);
    const after = await snapshot("refused-by-onnxruntime");
    expect({ sessions: after.sessions, objects: after.objects }).toEqual({
      sessions: before.sessions,
      objects: before.objects,
    });
  });

  it("releases the session of a version refused after onnxruntime loaded it", async () => {
    const { before, response } = await refusedUpload("refused-sequence-out", sequenceOutput());
    const refused = await errorOf(response);
    expect(refused.status).toBe(422);
    expect(refused.message).toMatch(/not a tensor/);
    const after = await snapshot("refused-sequence-out");
    expect({ sessions: after.sessions, objects: after.objects }).toEqual({
      sessions: before.sessions,
      objects: before.objects,
    });
  });
});

describe("loops are bounded before they run", () => {
  it("runs a loop with a constant trip count within the limit, as onnxruntime-node does", async () => {
    const bytes = countingLoop(25);
    expect((await uploadModel("loop-constant", bytes)).status).toBe(201);
    const response = await inferJson("/v2/models/loop-constant/infer", [x(1)]);
    expect(response.status).toBe(200);
    const expected = await referenceRun(
      { bytes },
      { x: { datatype: "FP32", shape: [1], base64: b64(Float32Array.of(1)) } },
    );
    expect((await decodeResponse(response)).outputs.y!.json).toEqual(Array.from(fromWire(expected.y!.base64)));
  });

  it("takes a trip count from the request only under limits.maxLoopIterations, checked before the run", async () => {
    const bytes = countingLoop("input");
    const manifest = { task: "tensor", limits: { maxLoopIterations: 1000 } };
    expect((await uploadModel("loop-from-request", bytes, { manifest })).status).toBe(201);

    const over = await inferJson("/v2/models/loop-from-request/infer", [x(0), trips(10_000_000)]);
    expect(over.status).toBe(413);
    expect(over.headers.get("X-Error-Code")).toBe("too_much_compute");
    expect((await over.json<{ error: string }>()).error).toMatch(/would run 10000000 times.*at most 1000/);

    const good = await inferJson("/v2/models/loop-from-request/infer", [x(0), trips(40)]);
    expect(good.status).toBe(200);
    const expected = await referenceRun(
      { bytes },
      {
        x: { datatype: "FP32", shape: [1], base64: b64(Float32Array.of(0)) },
        trips: { datatype: "INT64", shape: [], base64: b64(BigInt64Array.of(40n)) },
      },
    );
    expect((await decodeResponse(good)).outputs.y!.json).toEqual(Array.from(fromWire(expected.y!.base64)));
  });

  it("stops a loop without a trip count after limits.maxLoopIterations iterations", async () => {
    const manifest = { task: "tensor", limits: { maxLoopIterations: 500 } };
    expect((await uploadModel("loop-capped", countingLoop("none"), { manifest })).status).toBe(201);
    const response = await inferJson("/v2/models/loop-capped/infer", [x(0)]);
    expect(response.status).toBe(200);
    // the condition never turns false: the loop adds 1 once per iteration until the cap stops it
    expect((await decodeResponse(response)).outputs.y!.json).toEqual([500]);
  });
});

describe("unloading releases sessions", () => {
  async function loadedDigests(): Promise<string[]> {
    return (await json(admin("/admin/runtime"))).sessions.map((s: { digest: string }) => s.digest);
  }

  it("deleting a version releases its session; deleting the model releases the rest", async () => {
    const one = await json(await uploadModel("unloaded", scaleBy(3), { version: "1" }));
    const two = await json(await uploadModel("unloaded", scaleBy(4), { version: "2", makeDefault: false }));
    for (const version of ["1", "2"])
      expect((await inferJson(`/v2/models/unloaded/versions/${version}/infer`, [x(1)])).status).toBe(200);
    expect(await loadedDigests()).toEqual(expect.arrayContaining([one.sha256, two.sha256]));

    expect((await admin("/admin/models/unloaded/versions/2", { method: "DELETE" })).status).toBe(200);
    expect(await loadedDigests()).not.toContain(two.sha256);
    expect(await loadedDigests()).toContain(one.sha256);

    expect((await admin("/admin/models/unloaded", { method: "DELETE" })).status).toBe(204);
    expect(await loadedDigests()).not.toContain(one.sha256);
  });
});

function b64(array: Float32Array | BigInt64Array): string {
  return toBase64(new Uint8Array(array.buffer));
}

function fromWire(base64: string): Float32Array {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}
