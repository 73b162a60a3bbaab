/**
 * A cold request starts onnxruntime and the R2 read of its weights as soon as it knows its model, neither waiting
 * for the other, and creates the session only once the tenant's object admits it. Outputs are checked against
 * `y = factor · x` computed here, not by our code.
 */
import { describe, expect, it } from "vitest";
import { WARM_UP_MANIFEST, warmRequestPath } from "../src/api/serving/warm-start";
import { ManifestSchema } from "../src/registry/manifest";
import { type ModelSource, SessionPool } from "../src/runtime/session-pool";
import { scaleBy } from "./support/fixtures";
import { scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, createKey, createTenant, json, withKey } from "./support/worker";

/** A model whose R2 read finishes only when the test says so. */
function gatedSource(factor: number) {
  const bytes = scaleBy(factor);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const source: ModelSource & { loads: number } = {
    digest: `gated-${factor}-${crypto.randomUUID()}`,
    label: `gated:${factor}`,
    bytes: bytes.byteLength,
    loads: 0,
    load: async () => {
      source.loads += 1;
      await gate;
      return bytes;
    },
  };
  return { source, open };
}

const input = (values: number[]) => ({
  x: { datatype: "FP32" as const, shape: [values.length], data: Float32Array.from(values) },
});

describe("read ahead", () => {
  it("starts the weights' read at once and onnxruntime without waiting for it; the run reads nothing again", async () => {
    const pool = new SessionPool(64 * 1024 * 1024);
    const { source, open } = gatedSource(3);
    const prepared = pool.prepare(source);
    expect(source.loads).toBe(1); // the read is under way before anything else happens
    await pool.prepare(); // onnxruntime is up while the read is still held
    expect(pool.stats().ortStartedBy).not.toBeNull();
    expect(source.loads).toBe(1);
    open();
    await prepared;
    const result = await pool.run(source, input([1, -2, 0.5]));
    expect(Array.from(result.outputs.y!.data as Float32Array)).toEqual([3, -6, 1.5]);
    expect(source.loads).toBe(1);
    expect(result.timings.fetch).toBeGreaterThanOrEqual(0); // the read's own duration, reported with the run
  });

  it("keeps a bounded number of read-ahead weights: the oldest of five is read again, the newest is not", async () => {
    const pool = new SessionPool(64 * 1024 * 1024);
    const models = [1, 2, 3, 4, 5].map((factor) => gatedSource(factor));
    for (const { source, open } of models) {
      open();
      await pool.prepare(source);
    }
    const [oldest, newest] = [models[0]!.source, models[4]!.source];
    expect(Array.from((await pool.run(oldest, input([2]))).outputs.y!.data as Float32Array)).toEqual([2]);
    expect(Array.from((await pool.run(newest, input([2]))).outputs.y!.data as Float32Array)).toEqual([10]);
    expect(oldest.loads).toBe(2);
    expect(newest.loads).toBe(1);
  });

  it("keeps at most half the WASM budget of read-ahead weights: of three 50 MiB files in 256 MiB, the oldest goes", async () => {
    const pool = new SessionPool(256 * 1024 * 1024);
    const models = [1, 2, 3].map((factor) => gatedSource(factor));
    for (const { source, open } of models) {
      source.bytes = 50 * 1024 * 1024; // as the manifest says; the read itself is tiny
      open();
      await pool.prepare(source);
    }
    // newest first, so that reading a dropped one again (and dropping another) comes last
    for (const { source } of [...models].reverse()) await pool.prepare(source);
    expect(models.map(({ source }) => source.loads)).toEqual([2, 1, 1]);
  });

  it("a request the tenant's object refuses creates no session; the next admitted one does and answers 2x", async () => {
    const model = `read-ahead-${crypto.randomUUID().slice(0, 8)}`;
    await uploadMeteredModel(model);
    const tenant = await createTenant({
      name: `read ahead ${model}`,
      limits: { requestsPerMinute: 1000, monthlyUnits: 2 },
    });
    const { key } = await createKey(tenant.id);
    await admin("/admin/runtime/sessions", { method: "DELETE" }); // a cold isolate, as far as sessions go
    const sessions = async () =>
      (await json<{ sessions: { label: string }[] }>(admin("/admin/runtime"))).sessions.filter((s) =>
        s.label.startsWith(`${model}:`),
      );

    const refused = await withKey(key, `/v2/models/${model}/infer`, scaleRequest(3)); // 3 units, quota 2
    expect(refused.status).toBe(429);
    expect(await sessions()).toEqual([]);

    const admitted = await withKey(key, `/v2/models/${model}/infer`, scaleRequest(2, 5));
    expect(admitted.status).toBe(200);
    const body = await json(admitted);
    expect(body.outputs[0].data).toEqual([10, 12]);
    expect(admitted.headers.get("Server-Timing")).toMatch(/session;dur=/);
    // onnxruntime started with the isolate: the first session waited for none of its start
    expect(admitted.headers.get("Server-Timing")).not.toMatch(/ort-init/);
    expect((await json<{ ortStartedBy: string }>(admin("/admin/runtime"))).ortStartedBy).toBe("isolate");
    expect(await sessions()).toHaveLength(1);
  });

  it("the isolate's start walks the request path's own code: its manifest is one the registry accepts as stored", () => {
    // a manifest the schema refused would warm only the error path, not the one every request takes
    expect(ManifestSchema.safeParse(WARM_UP_MANIFEST).success).toBe(true);
    expect(() => warmRequestPath()).not.toThrow(); // pure work: it also ran when this isolate started
  });
});
