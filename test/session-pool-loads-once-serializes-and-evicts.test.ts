/**
 * The session pool with real onnxruntime-web sessions: concurrent cold requests share one load, concurrent runs
 * on one session all succeed (serialized), and least recently used sessions are released when a new one would
 * exceed the memory budget.
 */
import { describe, expect, it } from "vitest";
import { AppError } from "../src/errors";
import { type ModelSource, SessionPool } from "../src/runtime/session-pool";
import { scaleBy, weightedSum } from "./support/fixtures";
import { decodeResponse, inferJson } from "./support/oip";
import { admin, BUNDLED, json, seedBundled } from "./support/worker";

function source(factor: number, bytes = scaleBy(factor)): ModelSource & { loads: number } {
  const s = {
    digest: `scale-${factor}`,
    label: `scale:${factor}`,
    bytes: bytes.byteLength,
    loads: 0,
    load: async () => {
      s.loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5)); // an R2 read takes a while
      return bytes;
    },
  };
  return s;
}

const MiB = 1024 * 1024;
const input = (n: number) => ({
  x: { datatype: "FP32" as const, shape: [n], data: Float32Array.from({ length: n }, (_, i) => i) },
});

describe("SessionPool", () => {
  it("shares one load among concurrent first requests and serves them all", async () => {
    const pool = new SessionPool(64 * 1024 * 1024);
    const model = source(2);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.run(model, input(i + 1))));
    expect(model.loads).toBe(1);
    expect(pool.stats().sessions).toHaveLength(1);
    results.forEach((result, i) =>
      expect(Array.from(result.outputs.y!.data as Float32Array)).toEqual(
        Array.from({ length: i + 1 }, (_, j) => j * 2),
      ),
    );
    expect(pool.stats().sessions[0]!.runs).toBe(12);
  });

  it("reports where a cold run spent its time, and a warm run only queue and run", async () => {
    const pool = new SessionPool(64 * 1024 * 1024);
    const model = source(3);
    const cold = await pool.run(model, input(4));
    expect(cold.timings.fetch).toBeGreaterThanOrEqual(0);
    expect(cold.timings.create).toBeGreaterThanOrEqual(0);
    const warm = await pool.run(model, input(4));
    expect(warm.timings.fetch).toBeUndefined();
    expect(warm.timings.create).toBeUndefined();
  });

  it("releases the least recently used idle session when a new one would not fit the budget", async () => {
    const n = 512 * 1024; // 2 MiB of weights per session
    const weighted = (seed: number): ModelSource & { loads: number } => {
      const model = source(100 + seed, weightedSum(n, seed));
      // measured at upload for real models; here: a session of about 2 MiB and runs that need no extra room
      model.limits = { memory: { sessionBytes: 3 * MiB, run: { fixedBytes: 0, bytesPerElement: 0 } } };
      return model;
    };
    const [a, b, c] = [weighted(1), weighted(2), weighted(3)];
    const x = { x: { datatype: "FP32" as const, shape: [1, n], data: new Float32Array(n).fill(1) } };
    const pool = new SessionPool(256 * MiB);
    await pool.run(a, x);
    await pool.run(b, x);
    await pool.run(a, x); // b is now the least recently used
    // room for c's 3 MiB only once one 2 MiB session is released
    const { wasmMemoryBytes, freeBytes } = pool.stats();
    pool.setBudget(wasmMemoryBytes - freeBytes + 2 * MiB);
    await pool.run(c, x);
    const loaded = pool
      .stats()
      .sessions.map((s) => s.label)
      .sort();
    expect(loaded).toEqual(["scale:101", "scale:103"]);
    expect(pool.stats().evictions).toBe(1);

    await pool.run(b, x); // reloads on demand
    expect(b.loads).toBe(2);
    expect(pool.stats().sessions.map((s) => s.label)).toContain("scale:102");
    await pool.clear();
  });

  it("refuses bytes onnxruntime-web cannot load with invalid_model, and keeps working", async () => {
    const pool = new SessionPool(64 * 1024 * 1024);
    const broken = source(7, new Uint8Array([1, 2, 3, 4]));
    await expect(pool.run(broken, input(1))).rejects.toSatisfy(
      (e: unknown) => e instanceof AppError && e.code === "invalid_model",
    );
    const good = await pool.run(source(8), input(1));
    expect(good.outputs.y!.shape).toEqual([1]);
  });
});

describe("the Worker's pool", () => {
  it("after its sessions are released, 16 concurrent cold requests load the model once", async () => {
    await seedBundled("ppocr-cls");
    expect((await admin("/admin/runtime/sessions", { method: "DELETE" })).status).toBe(200);
    // distinct images, so that the response cache cannot answer any of them
    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        inferJson("/v2/models/ppocr-cls/infer", [
          { name: "x", datatype: "FP32", shape: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192).fill(i / 16) },
        ]),
      ),
    );
    expect(responses.map((r) => r.headers.get("X-Cache"))).toEqual(Array(16).fill("MISS"));
    const outputs = await Promise.all(
      responses.map(async (r) => (await decodeResponse(r)).outputs["softmax_0.tmp_0"]!.json),
    );
    for (const output of outputs) expect(output).toHaveLength(2);
    const stats = await json(admin("/admin/runtime"));
    const version = BUNDLED["ppocr-cls"]!.aliases!.default;
    const cls = stats.sessions.filter((s: { label: string }) => s.label === `ppocr-cls:${version}`);
    expect(cls).toHaveLength(1);
    expect(cls[0].runs).toBe(16);
    expect(stats.wasmMemoryBytes).toBeGreaterThan(0);
  });
});
