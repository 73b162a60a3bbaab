/**
 * One `InferenceSession` per model digest per isolate, created lazily on first use.
 * - Concurrent first requests for a cold model share one load (single flight).
 * - Runs on a session are serialized (onnxruntime-web rejects overlapping runs on one session).
 * - Sessions are charged against a WASM memory budget and the least recently used idle ones are released when a
 *   new one would not fit. The WASM heap itself never shrinks; released space is reused by later sessions.
 */
import { AppError } from "../errors";
import type { OnnxValueInfo } from "../onnx/reader";
import { ensureOrt, ort, ortInitMillis, wasmMemoryBytes } from "./ort";
import { describeLoadFailure, describeRunFailure } from "./ort-errors";
import { readSignature, type Signature } from "./signature";
import { fromOrtTensor, type NamedTensors, toOrtTensor } from "./tensor";

/** Where a model's weights come from; `digest` is their identity (a new version has a new digest). */
export interface ModelSource {
  digest: string;
  /** Shown in stats, e.g. "silero-vad:1". */
  label: string;
  bytes: number;
  load(): Promise<Uint8Array>;
}

/** Milliseconds spent in each stage of one run; stages that did not happen are absent. */
export interface RunTimings {
  init?: number;
  fetch?: number;
  create?: number;
  queue: number;
  run: number;
}

export interface RunResult {
  outputs: NamedTensors;
  timings: RunTimings;
}

export interface SessionStats {
  digest: string;
  label: string;
  modelBytes: number;
  chargedBytes: number;
  fetchMillis: number;
  createMillis: number;
  runs: number;
  lastUsed: number;
}

export interface PoolStats {
  ortInitMillis: number;
  wasmMemoryBytes: number;
  budgetBytes: number;
  chargedBytes: number;
  evictions: number;
  sessions: SessionStats[];
}

interface Entry extends SessionStats {
  session: ort.InferenceSession;
  /** Order of last use (clocks in workerd only move at I/O, so timestamps tie). */
  useOrder: number;
  /** Tail of this session's run queue. */
  tail: Promise<unknown>;
  pending: number;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ["wasm"],
  graphOptimizationLevel: "all",
};

export class SessionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private evictions = 0;
  private uses = 0;

  constructor(private budgetBytes: number) {}

  setBudget(bytes: number): void {
    this.budgetBytes = bytes;
  }

  /** Runs the model on `inputs`, loading it first if this isolate has not yet. */
  async run(source: ModelSource, inputs: NamedTensors, outputNames?: string[]): Promise<RunResult> {
    const timings: Partial<RunTimings> = {};
    const entry = await this.acquire(source, timings);
    entry.pending += 1;
    const queued = performance.now();
    const result = entry.tail.then(async () => {
      timings.queue = performance.now() - queued;
      const started = performance.now();
      const heapBefore = wasmMemoryBytes();
      try {
        return await runSession(entry.session, inputs, outputNames);
      } finally {
        timings.run = performance.now() - started;
        entry.chargedBytes += Math.max(0, wasmMemoryBytes() - heapBefore);
        entry.runs += 1;
        entry.lastUsed = Date.now();
        entry.useOrder = ++this.uses;
        entry.pending -= 1;
      }
    });
    entry.tail = result.catch(() => undefined);
    return { outputs: await result, timings: timings as RunTimings };
  }

  /**
   * Creates a session from uploaded bytes to validate them and read their signature. The session stays in the
   * pool under `source.digest`, so the first request after an upload is warm.
   */
  async inspect(source: ModelSource, declared: Map<string, OnnxValueInfo>): Promise<Signature> {
    const entry = await this.acquire(source, {});
    if (entry.chargedBytes > this.budgetBytes) {
      await this.release(entry);
      throw new AppError(
        "invalid_model",
        `the model needs ${mib(entry.chargedBytes)} MiB of WASM memory; this server's session budget is ${mib(this.budgetBytes)} MiB`,
      );
    }
    return readSignature(entry.session, declared);
  }

  has(digest: string): boolean {
    return this.entries.has(digest);
  }

  stats(): PoolStats {
    const sessions = [...this.entries.values()].map(
      ({ session: _s, tail: _t, pending: _p, useOrder: _u, ...stats }) => stats,
    );
    return {
      ortInitMillis: ortInitMillis(),
      wasmMemoryBytes: wasmMemoryBytes(),
      budgetBytes: this.budgetBytes,
      chargedBytes: this.chargedBytes(),
      evictions: this.evictions,
      sessions,
    };
  }

  /** Releases every idle session (tests and operators use this to measure cold starts). */
  async clear(): Promise<void> {
    for (const entry of [...this.entries.values()]) if (entry.pending === 0) await this.release(entry);
  }

  /** The loaded entry for `source`; loads it if needed, and again if another load evicted it meanwhile. */
  private async acquire(source: ModelSource, timings: Partial<RunTimings>): Promise<Entry> {
    for (;;) {
      const entry = this.entries.get(source.digest) ?? (await this.load(source, timings));
      if (this.entries.get(source.digest) === entry) return entry;
    }
  }

  private load(source: ModelSource, timings: Partial<RunTimings>): Promise<Entry> {
    let promise = this.loading.get(source.digest);
    if (!promise) {
      promise = this.create(source, timings).finally(() => this.loading.delete(source.digest));
      this.loading.set(source.digest, promise);
    }
    return promise;
  }

  private async create(source: ModelSource, timings: Partial<RunTimings>): Promise<Entry> {
    const initStarted = performance.now();
    const wasInitialised = ortInitMillis() > 0;
    await ensureOrt();
    if (!wasInitialised) timings.init = performance.now() - initStarted;

    const fetchStarted = performance.now();
    const bytes = await source.load();
    timings.fetch = performance.now() - fetchStarted;

    await this.makeRoom(source.bytes);
    const createStarted = performance.now();
    const heapBefore = wasmMemoryBytes();
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (error) {
      throw new AppError("invalid_model", `onnxruntime-web cannot load this model: ${describeLoadFailure(error)}`, {
        cause: error,
      });
    }
    timings.create = performance.now() - createStarted;
    const entry: Entry = {
      digest: source.digest,
      label: source.label,
      modelBytes: source.bytes,
      chargedBytes: Math.max(source.bytes, wasmMemoryBytes() - heapBefore),
      fetchMillis: timings.fetch,
      createMillis: timings.create,
      runs: 0,
      lastUsed: Date.now(),
      useOrder: ++this.uses,
      session,
      tail: Promise.resolve(),
      pending: 0,
    };
    this.entries.set(source.digest, entry);
    return entry;
  }

  /** Releases least recently used idle sessions until `incoming` more bytes fit the budget. */
  private async makeRoom(incoming: number): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => e.pending === 0).sort((a, b) => a.useOrder - b.useOrder);
    for (const entry of idle) {
      if (this.chargedBytes() + incoming <= this.budgetBytes) return;
      await this.release(entry);
      this.evictions += 1;
    }
    if (this.chargedBytes() + incoming > this.budgetBytes && this.entries.size > 0) {
      throw new AppError(
        "runtime_busy",
        "every loaded model is busy and no memory is left for another; retry shortly",
        { retryAfterSeconds: 1 },
      );
    }
  }

  private async release(entry: Entry): Promise<void> {
    this.entries.delete(entry.digest);
    await entry.session.release();
  }

  private chargedBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.chargedBytes;
    return total;
  }
}

async function runSession(
  session: ort.InferenceSession,
  inputs: NamedTensors,
  outputNames?: string[],
): Promise<NamedTensors> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) feeds[name] = toOrtTensor(tensor);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = outputNames ? await session.run(feeds, outputNames) : await session.run(feeds);
  } catch (error) {
    throw new AppError("inference_failed", describeRunFailure(error), { cause: error });
  } finally {
    for (const feed of Object.values(feeds)) feed.dispose();
  }
  const outputs: NamedTensors = {};
  for (const [name, value] of Object.entries(results)) {
    outputs[name] = fromOrtTensor(name, value);
    value.dispose();
  }
  return outputs;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
