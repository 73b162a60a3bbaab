/**
 * Regression: one client looping OCR raised small requests' p50 from 12.7 ms to 992 ms on the same isolate (runs were
 * chained back to back, and a model's backlog went first). Now runs take turns from one queue per model, a pipeline
 * lets requests in between its stages, and one tenant may have only so many requests running or waiting per
 * isolate (429 `too_many_concurrent_runs` with Retry-After beyond, never charged). The p50 figures are in the
 * `fairness` section of `npm run bench`.
 */
import type { Context } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../src/api/context";
import { createModelHandle } from "../src/api/serving/model-handle";
import { takeRunSlot } from "../src/api/serving/run-slots";
import { readConfig } from "../src/config";
import { AppError } from "../src/errors";
import type { ModelRegistry, ResolvedModel } from "../src/registry/registry";
import { RunScheduler, yieldToEventLoop } from "../src/runtime/run-scheduler";
import type { ModelSource, SessionPool } from "../src/runtime/session-pool";
import type { NamedTensors } from "../src/runtime/tensor";
import { scaleRequest, uploadMeteredModel } from "./support/tenancy";
import { admin, createKey, createTenant, json, withKey } from "./support/worker";

/** A job that records when it runs and takes a turn of the event loop, as a run's surroundings do. */
function job(log: string[], name: string) {
  return async () => {
    log.push(name);
    await yieldToEventLoop();
    return name;
  };
}

describe("the run scheduler", () => {
  it("runs one job at a time, and a model's backlog delays another model's job by at most one run", async () => {
    const scheduler = new RunScheduler();
    const log: string[] = [];
    let running = 0;
    let overlapped = false;
    const tracked = (name: string) => async () => {
      running += 1;
      overlapped ||= running > 1;
      await job(log, name)();
      running -= 1;
    };
    const backlog = Array.from({ length: 8 }, (_, i) => scheduler.run("ocr", tracked(`ocr-${i}`)));
    const small = scheduler.run("small", tracked("small"));
    await Promise.all([...backlog, small]);
    expect(overlapped).toBe(false);
    // ocr-0 was running when small arrived; ocr-1 was queued ahead of it; small comes next
    expect(log.indexOf("small")).toBeLessThanOrEqual(2);
    expect(log.filter((name) => name.startsWith("ocr"))).toEqual(backlog.map((_, i) => `ocr-${i}`));
  });

  it("lets a request that arrived during a pipeline's stage run before the pipeline's next stage", async () => {
    const scheduler = new RunScheduler();
    const log: string[] = [];
    // a task's view of the runtime, with every run going through one scheduler as the session pool's do
    const runtime = {
      run: (source: ModelSource, inputs: NamedTensors) =>
        scheduler.run(source.digest, async () => {
          log.push(Object.keys(inputs)[0]!);
          if (log.length === 1) setTimeout(() => void runtime.run(source, { small: inputs.detector! }), 0);
          return { outputs: {}, timings: { queue: 0, run: 0 } };
        }),
    } as unknown as SessionPool;
    const model = {
      manifest: { name: "ocr" },
      version: "1",
      entry: {},
      source: { digest: "ocr" },
    } as unknown as ResolvedModel;
    const handle = createModelHandle(model, runtime, {} as ModelRegistry, { runMillis: 0, runs: 0 });
    const tensor = { datatype: "FP32" as const, shape: [1], data: Float32Array.of(0) };
    await handle.run({ detector: tensor });
    await handle.run({ recognizer: tensor });
    expect(log).toEqual(["detector", "small", "recognizer"]);
  });

  it("keeps going after a job fails", async () => {
    const scheduler = new RunScheduler();
    const failed = scheduler.run("a", async () => {
      throw new Error("the model rejected these inputs");
    });
    await expect(failed).rejects.toThrow("rejected");
    expect(await scheduler.run("a", async () => "next")).toBe("next");
  });
});

describe("a tenant's run slots in one isolate", () => {
  const context = (tenantId: string) =>
    ({
      get: (key: string) =>
        key === "tenant"
          ? { tenantId }
          : key === "config"
            ? readConfig({ MAX_CONCURRENT_RUNS_PER_TENANT: "3" })
            : undefined,
    }) as unknown as Context<AppEnv>;

  it("refuses a request beyond the limit with 429 and Retry-After, and frees a slot when a request ends", () => {
    const releases = [1, 2, 3].map(() => takeRunSlot(context("busy")));
    let refused: unknown;
    try {
      takeRunSlot(context("busy"));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe("too_many_concurrent_runs");
    expect((refused as AppError).retryAfterSeconds).toBeGreaterThan(0);
    // another tenant is not affected
    takeRunSlot(context("quiet"))();
    releases[0]!();
    releases[0]!(); // giving a slot back twice frees it once
    const again = takeRunSlot(context("busy"));
    expect(() => takeRunSlot(context("busy"))).toThrow(AppError);
    for (const release of [again, ...releases.slice(1)]) release();
  });

  it("charges nothing for requests refused over the limit", async () => {
    await uploadMeteredModel("slots-scale");
    const tenant = await createTenant({ name: "bursty", limits: { requestsPerMinute: 10_000, monthlyUnits: 10_000 } });
    const { key } = await createKey(tenant.id);
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        withKey(key, "/v2/models/slots-scale/infer", {
          ...scaleRequest(1, i + 1),
          headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.headers.get("X-Error-Code")).toBe("too_many_concurrent_runs");
      expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(statuses).toContain(429);
    const served = statuses.filter((status) => status === 200).length;
    const report = await json(admin(`/admin/tenants/${tenant.id}/usage`));
    expect(report.totals.units).toBe(served);
  });
});
