/**
 * A version may carry its graph optimized ahead of time (onnxruntime-node, `basic` or `extended` level): its sessions are then
 * created from it with optimizations off. The optimized graphs here are written by onnxruntime-node itself (REFERENCE
 * `/optimize`, the function the seeding and the CLI use); answers are checked against onnxruntime-node's run of the
 * ORIGINAL file, scikit-learn's own predictions (test/data/tabular/), and `y = x · w` fixtures with weights computed
 * here.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { weightedSum } from "./support/fixtures";
import { decodeResponse, float32Of, float32OfWire, inferJson, randomImageInput, wireMap } from "./support/oip";
import {
  admin,
  bundledFile,
  expectClose,
  json,
  reference,
  referenceRun,
  repoFile,
  repoText,
  uploadModel,
} from "./support/worker";

const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;

async function optimized(bytes: Uint8Array, level: "basic" | "extended" = "basic"): Promise<Uint8Array> {
  const response = await reference.fetch(`http://reference/optimize?level=${level}`, { method: "POST", body: bytes });
  if (!response.ok) throw new Error(`optimizing: ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

function putOptimized(model: string, version: string, bytes: Uint8Array, level?: string): Promise<Response> {
  return admin(`/admin/models/${model}/versions/${version}/optimized${level ? `?level=${level}` : ""}`, {
    method: "PUT",
    headers: { "Content-Type": "application/octet-stream" },
    body: bytes,
  });
}

interface Session {
  digest: string;
  label: string;
  graph: string;
}

async function sessions(): Promise<Session[]> {
  return (await json<{ sessions: Session[] }>(admin("/admin/runtime"))).sessions;
}

async function storedKeys(model: string): Promise<string[]> {
  return (await bucket.list({ prefix: `models/${model}/` })).objects.map((o) => o.key).sort();
}

describe("a version's graph optimized ahead of time", () => {
  const model = `optimized-mnist-${crypto.randomUUID().slice(0, 8)}`;
  const file = bundledFile("mnist-digits", "1");
  let original: Uint8Array;
  let companion: Uint8Array;

  beforeAll(async () => {
    original = await repoFile(file);
    companion = await optimized(original);
    expect((await uploadModel(model, original)).status).toBe(201);
  });

  it("answers like onnxruntime-node's run of the original file, from a session created from the optimized graph", async () => {
    const stored = await putOptimized(model, "1", companion);
    expect(stored.status, await stored.clone().text()).toBe(201);
    const { optimized: entry } = await json<{ optimized: { sha256: string; bytes: number; level: string } }>(stored);
    expect(entry).toMatchObject({ bytes: companion.byteLength, level: "basic" });
    expect(await storedKeys(model)).toContain(`models/${model}/${entry.sha256}.onnx`); // beside the original

    await admin("/admin/runtime/sessions", { method: "DELETE" }); // cold: the session is made again from R2
    const inputs = randomImageInput(17, [2, 1, 28, 28]).map((input) => ({ ...input, name: "image" }));
    const response = await inferJson(`/v2/models/${model}/infer`, inputs);
    const { logits } = (await decodeResponse(response)).outputs;
    const expected = await referenceRun({ bytes: original }, wireMap(inputs));
    expectClose(float32Of(logits!), float32OfWire(expected.logits!), 1e-4);
    const session = (await sessions()).find((s) => s.label === `${model}:1`);
    expect(session).toMatchObject({ digest: entry.sha256, graph: "optimized" });

    const again = await putOptimized(model, "1", companion); // the same graph again: nothing changes
    expect(again.status).toBe(200);
  });

  it("at the extended level (convolutions fused with their activations into onnxruntime's FusedConv) is stored as such and answers like onnxruntime-node's run of the original", async () => {
    const fused = await optimized(original, "extended");
    // onnxruntime-node's own rewrite, not ours: the fused operator is in the file it wrote
    expect(new TextDecoder("latin1").decode(fused)).toContain("FusedConv");
    const stored = await putOptimized(model, "1", fused, "extended");
    expect(stored.status, await stored.clone().text()).toBe(201);
    const { optimized: entry } = await json<{ optimized: { sha256: string; level: string } }>(stored);
    expect(entry.level).toBe("extended");
    expect((await json(admin(`/admin/models/${model}`))).versions["1"].optimized.level).toBe("extended");

    await admin("/admin/runtime/sessions", { method: "DELETE" });
    const inputs = randomImageInput(29, [3, 1, 28, 28]).map((input) => ({ ...input, name: "image" }));
    const { logits } = (await decodeResponse(await inferJson(`/v2/models/${model}/infer`, inputs))).outputs;
    const expected = await referenceRun({ bytes: original }, wireMap(inputs));
    expectClose(float32Of(logits!), float32OfWire(expected.logits!), 1e-4);
    expect((await sessions()).find((s) => s.label === `${model}:1`)).toMatchObject({ digest: entry.sha256 });
  });

  it("is refused with a 400 naming the levels for a level onnxruntime-web cannot load (`all` lays tensors out for the writing CPU)", async () => {
    const response = await putOptimized(model, "1", companion, "all");
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toMatch(/level must be one of basic, extended/);
  });

  it("is dropped on request, and the version's sessions come from the uploaded graph again", async () => {
    const manifest = await json(admin(`/admin/models/${model}`));
    const digest = manifest.versions["1"].optimized.sha256 as string;
    const dropped = await admin(`/admin/models/${model}/versions/1/optimized`, { method: "DELETE" });
    expect(dropped.status).toBe(200);
    expect((await json(dropped)).versions["1"].optimized).toBeUndefined();
    expect(await storedKeys(model)).not.toContain(`models/${model}/${digest}.onnx`);
    const inputs = randomImageInput(3, [1, 1, 28, 28]).map((input) => ({ ...input, name: "image" }));
    const response = await inferJson(`/v2/models/${model}/infer`, inputs);
    expect(response.status).toBe(200);
    expect((await sessions()).find((s) => s.label === `${model}:1`)?.graph).toBe("original");
    const twice = await admin(`/admin/models/${model}/versions/1/optimized`, { method: "DELETE" });
    expect(twice.status).toBe(404);
    expect((await json(twice)).error.code).toBe("optimized_graph_not_found");
  });
});

describe("an optimized skl2onnx classifier", () => {
  it("gets the upload's ZipMap rewrite, and serves scikit-learn's labels and probabilities (within 1e-5)", async () => {
    const model = `optimized-iris-${crypto.randomUUID().slice(0, 8)}`;
    const original = await repoFile(bundledFile("iris-forest", "1"));
    expect((await uploadModel(model, original)).status).toBe(201);
    const companion = await optimized(original); // still ends in a ZipMap, which onnxruntime-web cannot return
    const stored = await putOptimized(model, "1", companion);
    expect(stored.status, await stored.clone().text()).toBe(201);
    const { optimized: entry } = await json(stored);
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", companion)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    expect(entry.sha256).not.toBe(digest); // stored rewritten, as the version's own graph was

    const rows = JSON.parse(await repoText("test/data/tabular/iris-forest.json")) as {
      features: number[];
      sklearn: { label: string; probabilities: number[] };
    }[];
    const input = {
      name: "float_input",
      datatype: "FP32",
      shape: [rows.length, 4],
      data: Float32Array.from(rows.flatMap((r) => r.features)),
    };
    await admin("/admin/runtime/sessions", { method: "DELETE" });
    const { outputs } = await decodeResponse(await inferJson(`/v2/models/${model}/infer`, [input]));
    expect(outputs.output_label!.json).toEqual(rows.map((r) => r.sklearn.label));
    expectClose(
      float32Of(outputs.output_probability!),
      rows.flatMap((r) => r.sklearn.probabilities),
      1e-5,
    );
    expect((await sessions()).find((s) => s.label === `${model}:1`)?.graph).toBe("optimized");
  });
});

describe("an optimized graph of a model that checks an input's value", () => {
  it("is compared on the manifest's sampleInputs (Silero VAD's sample rate), then answers like onnxruntime-node's run of the original", async () => {
    const model = `optimized-vad-${crypto.randomUUID().slice(0, 8)}`;
    const original = await repoFile(bundledFile("silero-vad", "int8"));
    const samples = { input: { shape: [1, 576] }, state: { shape: [2, 1, 128] }, sr: { data: [16000] } };
    expect((await uploadModel(model, original)).status).toBe(201);
    const companion = await optimized(original);
    const refused = await putOptimized(model, "1", companion); // generated inputs fail its sample-rate check
    expect(refused.status).toBe(422);
    expect((await json(refused)).error.message).toMatch(/sampleInputs/);

    const manifest = await admin(`/admin/models/${model}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task: "tensor", sampleInputs: samples }),
    });
    expect(manifest.status, await manifest.clone().text()).toBe(200);
    const stored = await putOptimized(model, "1", companion);
    expect(stored.status, await stored.clone().text()).toBe(201);

    await admin("/admin/runtime/sessions", { method: "DELETE" });
    const window = Float32Array.from({ length: 576 }, (_, i) => 0.4 * Math.sin(i / 7) + 0.1 * Math.sin(i / 2));
    const inputs = [
      { name: "input", datatype: "FP32", shape: [1, 576], data: window },
      { name: "state", datatype: "FP32", shape: [2, 1, 128], data: new Float32Array(256) },
      { name: "sr", datatype: "INT64", shape: [], data: BigInt64Array.from([16000n]) },
    ];
    const { outputs } = await decodeResponse(await inferJson(`/v2/models/${model}/infer`, inputs));
    const expected = await referenceRun({ bytes: original }, wireMap(inputs));
    expectClose(float32Of(outputs.output!), float32OfWire(expected.output!), 1e-4);
    expect((await sessions()).find((s) => s.label === `${model}:1`)?.graph).toBe("optimized");
  });
});

describe("a manifest's sampleInputs", () => {
  it("are refused with a 400 beyond a million elements, before anything is generated", async () => {
    const model = `samples-bounded-${crypto.randomUUID().slice(0, 8)}`;
    const response = await admin(`/admin/models/${model}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task: "tensor", sampleInputs: { x: { shape: [100_000, 100_000] } } }),
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toMatch(/at most 1048576 elements/);
  });
});

describe("an optimized graph that is not the version's", () => {
  const model = `optimized-refused-${crypto.randomUUID().slice(0, 8)}`;
  const weights = weightedSum(64, 1);

  beforeAll(async () => {
    expect((await uploadModel(model, weights)).status).toBe(201);
    await inferJson(`/v2/models/${model}/infer`, [
      { name: "x", datatype: "FP32", shape: [1, 64], data: new Float32Array(64) },
    ]);
  });

  async function expectRefused(bytes: Uint8Array, message: RegExp): Promise<void> {
    const before = {
      keys: await storedKeys(model),
      sessions: await sessions(),
      manifest: await json(admin(`/admin/models/${model}`)),
    };
    const response = await putOptimized(model, "1", bytes);
    expect(response.status).toBe(422);
    const body = await json(response);
    expect(body.error.code).toBe("optimized_graph_differs");
    expect(body.error.message).toMatch(message);
    expect(await storedKeys(model)).toEqual(before.keys);
    expect((await sessions()).map((s) => s.digest).sort()).toEqual(before.sessions.map((s) => s.digest).sort());
    expect(await json(admin(`/admin/models/${model}`))).toEqual(before.manifest);
  }

  it("is refused when an input's shape differs, naming it, and nothing is stored", async () => {
    await expectRefused(
      await optimized(weightedSum(65, 1)),
      /input 'x' has shape \[1, 65\]; the version's has \[1, 64\]/,
    );
  });

  it("is refused when its weights differ, naming the output, and nothing is stored", async () => {
    await expectRefused(await optimized(weightedSum(64, 2)), /output 'y' differs at element 0/);
  });

  it("is 404 for a version or a model that does not exist", async () => {
    const bytes = await optimized(weights);
    const noVersion = await putOptimized(model, "7", bytes);
    expect(noVersion.status).toBe(404);
    expect((await json(noVersion)).error.code).toBe("version_not_found");
    expect((await putOptimized(`${model}-missing`, "1", bytes)).status).toBe(404);
  });

  it("is deleted from storage with its version", async () => {
    const stored = await putOptimized(model, "1", await optimized(weights));
    expect(stored.status).toBe(201);
    const { optimized: entry } = await json(stored);
    expect(await storedKeys(model)).toContain(`models/${model}/${entry.sha256}.onnx`);
    expect((await admin(`/admin/models/${model}/versions/1`, { method: "DELETE" })).status).toBe(200);
    expect(await storedKeys(model)).toEqual([`models/${model}/manifest.json`]);
    expect((await sessions()).some((s) => s.digest === entry.sha256)).toBe(false);
  });
});
