/**
 * One `InferenceSession` per model digest per isolate, created lazily on first use, and the WASM memory they share.
 * - Concurrent first requests for a cold model share one read of its weights.
 * - Every run and every session creation goes through one scheduler (./run-scheduler.ts): one at a time, per-model
 *   queues taking turns, the event loop let in between.
 * - Memory is planned against the heap's budget before anything is allocated: a run's estimate (./budget.ts) and a
 *   new session's measured size must fit in the heap's free space plus what it may still grow; idle sessions are
 *   released, least recently used first, to make room. The heap never grows past its ceiling (./wasm-heap.ts).
 * - Uploads create a session to read the model's signature and measure its memory (./calibration.ts); it stays,
 *   so the first request is warm, unless the upload is refused.
 * - A cold request starts onnxruntime's initialisation and the weights' R2 read as soon as it knows its model
 *   (`prepare`), so both overlap the rest of its way in (body, response cache, the tenant's admission); the
 *   session is created only once the request is admitted.
 */
import { AppError } from "../errors";
import type { OnnxValueInfo } from "../onnx/reader";
import {
  type BudgetInput,
  type MemoryProfile,
  mib,
  planRun,
  type RunAllowance,
  type RunLimits,
  type RunPlan,
} from "./budget";
import { calibrate, calibrationDims } from "./calibration";
import {
  ensureOrt,
  type OrtStart,
  ort,
  ortInitMillis,
  ortStartedBy,
  setHeapCeiling,
  wasmHeap,
  wasmMemoryBytes,
} from "./ort";
import { describeLoadFailure, describeRunFailure } from "./ort-errors";
import { RunScheduler } from "./run-scheduler";
import { readSignature, type Signature } from "./signature";
import { fromOrtTensor, type NamedTensors, toOrtTensor } from "./tensor";

/** Where a model's weights come from; `digest` is their identity (a new version has a new digest). */
export interface ModelSource {
  digest: string;
  /** Shown in stats and errors, e.g. "silero-vad:1". */
  label: string;
  bytes: number;
  load(): Promise<Uint8Array>;
  /** What the version's upload measured and its manifest allows (absent for versions stored before they were). */
  limits?: RunLimits;
  /**
   * `optimized`: a graph onnxruntime already optimized ahead of time (the version's companion), created with
   * optimizations off; `original` (the default): the uploaded graph, optimized at the full level on creation.
   */
  graph?: SessionGraph;
}

export type SessionGraph = "original" | "optimized";

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
  /** Which graph the session was created from (see `ModelSource.graph`). */
  graph: SessionGraph;
  modelBytes: number;
  /** WASM memory the session holds, measured when it was created. */
  chargedBytes: number;
  fetchMillis: number;
  createMillis: number;
  runs: number;
  lastUsed: number;
}

export interface PoolStats {
  ortInitMillis: number;
  /** What started onnxruntime in this isolate: the isolate's start, or a request (null: not started). */
  ortStartedBy: OrtStart | null;
  wasmMemoryBytes: number;
  /** Free bytes inside the heap (blocks of 64 KiB and more). */
  freeBytes: number;
  /** Of them, those at the heap's end (one piece with what it may still grow), and the largest piece elsewhere. */
  freeTopBytes: number;
  largestHoleBytes: number;
  budgetBytes: number;
  /** The heap never grows past this (0: no ceiling set, or the heap is not measurable). */
  ceilingBytes: number;
  chargedBytes: number;
  evictions: number;
  /** Runs and session creations waiting for their turn. */
  queuedRuns: number;
  /** Allocations refused at the ceiling (a run's estimate was too low). */
  refusedGrowths: number;
  sessions: SessionStats[];
}

/** What an upload learns from the session it creates. */
export interface Inspection {
  signature: Signature;
  memory: MemoryProfile;
}

export interface InspectOptions {
  maxDims?: Record<string, (number | null)[]>;
  maxElements: number;
}

export interface PoolOptions {
  /** Runs that may wait in this isolate before more are refused with `runtime_busy` (503). */
  maxQueuedRuns?: number;
  /**
   * Bytes the WASM heap may never grow past (allocations fail instead). The heap is one per isolate, so only the
   * isolate's own pool sets it.
   */
  heapCeilingBytes?: number;
}

/** One read of a model's weights from R2, shared by every request that waits for it. */
interface WeightsRead {
  bytes: Promise<Uint8Array>;
  /** The file's size, known before it is read. */
  size: number;
  /** How long the read took, once done. */
  millis?: number;
}

interface Entry extends SessionStats {
  session: ort.InferenceSession;
  /** Order of last use (clocks in workerd only move at I/O, so timestamps tie). */
  useOrder: number;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ["wasm"],
  graphOptimizationLevel: "all",
};
/** A graph optimized ahead of time is loaded as it is: optimizing it again is the time it was made to save. */
const PREOPTIMIZED_OPTIONS: ort.InferenceSession.SessionOptions = {
  ...SESSION_OPTIONS,
  graphOptimizationLevel: "disabled",
};
/** The heap before any session: onnxruntime's initial memory, until measured. */
const INITIAL_HEAP = 16 * 1024 * 1024;
/** Blocks of the model file's size a session's creation may hold at once: the file, its parsed graph, the weights. */
const CREATION_BLOCKS = 3;
/**
 * Weights read ahead (`prepare`) and not yet turned into a session that an isolate keeps: at most this many models,
 * and at most half the WASM budget in bytes (the largest weights an upload may have); the oldest go first.
 */
const MAX_READ_AHEAD = 4;

export class SessionPool {
  private readonly entries = new Map<string, Entry>();
  /** Weights being read, or read and not yet loaded into a session (a request read them ahead of its admission). */
  private readonly reads = new Map<string, WeightsRead>();
  /** onnxruntime's initialisation, then this pool's measurement of the heap it left. */
  private backend: Promise<void> | undefined;
  private initReported = false;
  /** Jobs queued or running per digest: such sessions are never released to make room. */
  private readonly pending = new Map<string, number>();
  /** Digests to release once their pending jobs are done (their version or model was deleted). */
  private readonly retired = new Set<string>();
  private readonly scheduler = new RunScheduler();
  private readonly maxQueuedRuns: number;
  private baselineBytes = INITIAL_HEAP;
  private evictions = 0;
  private uses = 0;

  constructor(
    private budgetBytes: number,
    options: PoolOptions = {},
  ) {
    this.maxQueuedRuns = options.maxQueuedRuns ?? 64;
    if (options.heapCeilingBytes !== undefined) setHeapCeiling(options.heapCeilingBytes);
  }

  setBudget(bytes: number): void {
    this.budgetBytes = bytes;
  }

  /**
   * Starts what a first run of `source` will wait for: onnxruntime's initialisation and the R2 read of the weights
   * (only onnxruntime's without a source). Neither waits for the other, and a run started later joins them. The
   * caller keeps the request alive until the returned promise settles (`waitUntil`): in workerd, I/O started by one
   * request must not be left for another to finish. Never rejects; a failure is met again by the run.
   */
  prepare(source?: ModelSource): Promise<void> {
    const work: Promise<unknown>[] = [this.ready()];
    if (source && !this.entries.has(source.digest)) work.push(this.read(source, {}));
    return Promise.all(work).then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Checks a request's input shapes against the model's limits and this isolate's memory, before its tensors are
   * decoded. Throws `too_much_compute` (413).
   */
  check(source: ModelSource, inputs: readonly BudgetInput[]): RunPlan {
    return planRun(source.limits, inputs, this.allowance(source.label));
  }

  /** Runs the model on `inputs`, loading it first if this isolate has not yet. */
  async run(source: ModelSource, inputs: NamedTensors, outputNames?: string[]): Promise<RunResult> {
    const plan = planRun(
      source.limits,
      Object.entries(inputs).map(([name, tensor]) => ({ name, shape: tensor.shape, tensor })),
      this.allowance(source.label),
    );
    const timings: Partial<RunTimings> = {};
    return this.scheduled(source, timings, async (entry) => {
      await this.makeRoom(plan.bytes, { keep: entry });
      const started = performance.now();
      try {
        const outputs = await this.retryWithRoom(() => runSession(entry, inputs, outputNames), entry);
        return { outputs, timings: timings as RunTimings };
      } catch (error) {
        if (isAllocationFailure(error)) {
          this.retired.add(entry.digest); // a run that failed to allocate may have left the session inconsistent
          throw new AppError(
            "too_much_compute",
            `this request needed more WASM memory than the ${mib(this.budgetBytes)} MiB this server allows; send smaller inputs`,
            { cause: error },
          );
        }
        throw new AppError("inference_failed", describeRunFailure(error), { cause: error });
      } finally {
        timings.run = performance.now() - started;
        entry.runs += 1;
        entry.lastUsed = Date.now();
        entry.useOrder = ++this.uses;
      }
    });
  }

  /**
   * Creates a session from uploaded bytes, reads the signature the model declares and measures its memory. The
   * session stays in the pool under `source.digest`, so the first request after an upload is warm; the caller
   * releases it if the upload is refused later.
   */
  async inspect(
    source: ModelSource,
    declared: Map<string, OnnxValueInfo>,
    options: InspectOptions,
  ): Promise<Inspection> {
    return this.scheduled(source, {}, async (entry) => {
      try {
        if (this.baselineBytes + entry.chargedBytes > this.budgetBytes)
          throw new AppError(
            "invalid_model",
            `the model needs ${mib(entry.chargedBytes)} MiB of WASM memory; this server's budget is ${mib(this.budgetBytes)} MiB, ${mib(this.baselineBytes)} of it onnxruntime's own`,
          );
        const signature = readSignature(entry.session, declared);
        const heap = wasmHeap();
        const calibration = heap
          ? await calibrate(
              (feeds) => runSession(entry, feeds).then(() => undefined),
              heap,
              calibrationInputs(signature, declared),
              {
                ...options,
                budgetBytes: this.budgetBytes,
              },
            )
          : { note: "the WASM heap cannot be measured in this runtime" };
        return { signature, memory: { sessionBytes: entry.chargedBytes, ...calibration } };
      } catch (error) {
        this.retired.add(entry.digest);
        throw error;
      }
    });
  }

  has(digest: string): boolean {
    return this.entries.has(digest);
  }

  /** The WASM memory charged to the session of `digest`, if it is loaded. */
  sessionBytes(digest: string): number | undefined {
    return this.entries.get(digest)?.chargedBytes;
  }

  /**
   * Releases the session of `digest` (its version or model was deleted, or its upload refused): at once when idle,
   * else after the runs queued on it.
   */
  async release(digest: string): Promise<void> {
    this.reads.delete(digest);
    const entry = this.entries.get(digest);
    if (!entry) return;
    if ((this.pending.get(digest) ?? 0) > 0) this.retired.add(digest);
    else await this.releaseEntry(entry);
  }

  stats(): PoolStats {
    const sessions = [...this.entries.values()].map(({ session: _s, useOrder: _u, ...stats }) => stats);
    const heap = wasmHeap();
    const free = heap?.freeSpace() ?? { bytes: 0, top: 0, holes: [] };
    return {
      ortInitMillis: ortInitMillis(),
      ortStartedBy: ortStartedBy() ?? null,
      wasmMemoryBytes: wasmMemoryBytes(),
      freeBytes: free.bytes,
      freeTopBytes: free.top,
      largestHoleBytes: Math.max(0, ...free.holes),
      budgetBytes: this.budgetBytes,
      ceilingBytes: Number.isFinite(heap?.ceilingBytes()) ? heap!.ceilingBytes() : 0,
      chargedBytes: this.chargedBytes(),
      evictions: this.evictions,
      queuedRuns: this.scheduler.queued,
      refusedGrowths: heap?.refusals() ?? 0,
      sessions,
    };
  }

  /** Releases every idle session and drops weights read ahead (tests and operators use this to measure cold starts). */
  async clear(): Promise<void> {
    this.reads.clear();
    for (const entry of [...this.entries.values()])
      if ((this.pending.get(entry.digest) ?? 0) === 0) await this.releaseEntry(entry);
  }

  /** What one run of `label` may use. */
  private allowance(label: string): RunAllowance {
    return {
      label,
      budgetBytes: this.budgetBytes,
      baselineBytes: this.baselineBytes,
      maxTensorBytes: this.budgetBytes / 2,
    };
  }

  /**
   * Runs `job` with the loaded session of `source` on the model's turn. The weights are read before the turn (an R2
   * read must not hold up other models); the session is created on it.
   */
  private async scheduled<T>(
    source: ModelSource,
    timings: Partial<RunTimings>,
    job: (entry: Entry) => Promise<T>,
  ): Promise<T> {
    if (this.scheduler.queued >= this.maxQueuedRuns)
      throw new AppError("runtime_busy", `this isolate has ${this.scheduler.queued} runs waiting; retry shortly`, {
        retryAfterSeconds: 1,
      });
    const { digest } = source;
    this.pending.set(digest, (this.pending.get(digest) ?? 0) + 1);
    try {
      const bytes = this.entries.has(digest) ? undefined : await this.readAndStart(source, timings);
      const queued = performance.now();
      return await this.scheduler.run(digest, async () => {
        timings.queue = performance.now() - queued;
        const entry = this.entries.get(digest) ?? (await this.create(source, bytes, timings));
        return job(entry);
      });
    } finally {
      const left = (this.pending.get(digest) ?? 1) - 1;
      if (left > 0) this.pending.set(digest, left);
      else {
        this.pending.delete(digest);
        const entry = this.entries.get(digest);
        if (entry && this.retired.has(digest)) await this.releaseEntry(entry);
      }
    }
  }

  /**
   * The weights of `source` and a running onnxruntime, the one not waiting for the other. onnxruntime's start is
   * reported (`init`) with the isolate's first session when a request started it, whichever request that was (not
   * when the isolate's start did: no request waited for it).
   */
  private async readAndStart(source: ModelSource, timings: Partial<RunTimings>): Promise<Uint8Array> {
    const [bytes] = await Promise.all([this.read(source, timings), this.ready()]);
    if (ortStartedBy() === "request" && !this.initReported) {
      this.initReported = true;
      timings.init = ortInitMillis();
    }
    return bytes;
  }

  /** onnxruntime, initialised once per isolate; the heap it leaves is the baseline every plan counts from. */
  private ready(): Promise<void> {
    this.backend ??= ensureOrt().then(
      () => {
        this.baselineBytes = usedBytes();
      },
      (error: unknown) => {
        this.backend = undefined; // a later request tries again
        throw error;
      },
    );
    return this.backend;
  }

  /**
   * The weights of `source`, read once however many requests wait for them, and kept until a session is made of
   * them (a request may read them ahead of its admission, and its run start later).
   */
  private read(source: ModelSource, timings: Partial<RunTimings>): Promise<Uint8Array> {
    const { digest } = source;
    let read = this.reads.get(digest);
    if (!read) {
      const started = performance.now();
      const record: WeightsRead = { bytes: source.load(), size: source.bytes };
      record.bytes.then(
        () => (record.millis = performance.now() - started),
        () => this.reads.get(digest) === record && this.reads.delete(digest),
      );
      this.reads.set(digest, record);
      this.dropOldReads(record);
      read = record;
    }
    const joined = read;
    return joined.bytes.then((bytes) => {
      timings.fetch = joined.millis;
      return bytes;
    });
  }

  /** Drops the oldest reads (whose requests were refused, or are still waiting) past the read-ahead bounds. */
  private dropOldReads(keep: WeightsRead): void {
    let bytes = 0;
    for (const read of this.reads.values()) bytes += read.size;
    for (const [digest, read] of this.reads) {
      if (this.reads.size <= MAX_READ_AHEAD && bytes <= this.budgetBytes / 2) return;
      if (read === keep) continue;
      this.reads.delete(digest);
      bytes -= read.size;
    }
  }

  private async create(
    source: ModelSource,
    fetched: Uint8Array | undefined,
    timings: Partial<RunTimings>,
  ): Promise<Entry> {
    await this.ready();
    const bytes = fetched ?? (await this.read(source, timings)); // evicted since it was read: read again
    await this.makeRoom(source.bytes, { count: CREATION_BLOCKS });
    const createStarted = performance.now();
    const graph = source.graph ?? "original";
    let usedBefore = 0;
    let session: ort.InferenceSession;
    try {
      session = await this.retryWithRoom(() => {
        usedBefore = usedBytes();
        return ort.InferenceSession.create(bytes, graph === "optimized" ? PREOPTIMIZED_OPTIONS : SESSION_OPTIONS);
      });
    } catch (error) {
      if (isAllocationFailure(error))
        throw new AppError("runtime_busy", "not enough WASM memory is free to load this model now; retry shortly", {
          retryAfterSeconds: 1,
          cause: error,
        });
      throw new AppError("invalid_model", `onnxruntime-web cannot load this model: ${describeLoadFailure(error)}`, {
        cause: error,
      });
    }
    timings.create = performance.now() - createStarted;
    const entry: Entry = {
      digest: source.digest,
      label: source.label,
      graph,
      modelBytes: source.bytes,
      chargedBytes: Math.max(0, usedBytes() - usedBefore),
      fetchMillis: timings.fetch ?? 0,
      createMillis: timings.create,
      runs: 0,
      lastUsed: Date.now(),
      useOrder: ++this.uses,
      session,
    };
    this.entries.set(source.digest, entry);
    this.reads.delete(source.digest); // the session holds the weights now
    this.retired.delete(source.digest);
    return entry;
  }

  /**
   * Releases least recently used idle sessions until `count` blocks of `bytes` each fit: in free holes, or in the free
   * top of the heap and what the heap may still grow within its budget. Blocks, not just bytes: onnxruntime plans a
   * run's tensors into one block, and a session's creation holds the model file, the graph parsed from it and the
   * weights built from that, each in one piece at worst.
   */
  private async makeRoom(bytes: number, options: { keep?: Entry; count?: number } = {}): Promise<void> {
    const count = options.count ?? 1;
    if (this.fits(bytes, count)) return;
    const idle = [...this.entries.values()]
      .filter((e) => e !== options.keep && (this.pending.get(e.digest) ?? 0) === 0)
      .sort((a, b) => a.useOrder - b.useOrder);
    for (const entry of idle) {
      await this.releaseEntry(entry);
      this.evictions += 1;
      if (this.fits(bytes, count)) return;
    }
    // Nothing idle is left to release. If the bytes are free but not in one piece, waiting will not join them: try,
    // and let the heap's ceiling refuse what really does not fit (retryWithRoom, then too_much_compute).
    if (this.freeBytes() >= bytes * count) return;
    throw new AppError(
      "runtime_busy",
      `this needs ${mib(bytes * count)} MiB of WASM memory, which the models in use leave no room for now; retry shortly`,
      { retryAfterSeconds: 1 },
    );
  }

  /** Free bytes in the heap and what it may still grow within its budget, in however many pieces. */
  private freeBytes(): number {
    const free = this.freePieces();
    return free ? free.holes.reduce((sum, hole) => sum + hole, free.growable) : Number.POSITIVE_INFINITY;
  }

  private fits(bytes: number, count: number): boolean {
    const heap = wasmHeap();
    if (!heap || bytes <= 0) return true;
    // what the heap may still grow holds the blocks in one piece: no need to probe the free space (dozens of
    // malloc/free calls, which a small model's warm run would pay again and again)
    if (bytes * count <= this.budgetBytes - heap.bytes()) return true;
    const { growable, holes } = this.freePieces()!;
    const blocks = (space: number) => Math.floor(space / bytes);
    return holes.reduce((sum, hole) => sum + blocks(hole), blocks(growable)) >= count;
  }

  /** The heap's free holes, and its free end together with what the heap may still grow within the budget. */
  private freePieces(): { growable: number; holes: number[] } | undefined {
    const heap = wasmHeap();
    if (!heap) return undefined;
    const { top, holes } = heap.freeSpace();
    return { growable: Math.max(0, top + this.budgetBytes - heap.bytes()), holes };
  }

  /**
   * Runs `attempt`; if the heap's ceiling refused it an allocation (the plan did not foresee fragmentation, or an
   * estimate was low), releases every idle session but `keep` and tries once more.
   */
  private async retryWithRoom<T>(attempt: () => Promise<T>, keep?: Entry): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      const idle = [...this.entries.values()].filter((e) => e !== keep && (this.pending.get(e.digest) ?? 0) === 0);
      if (!isAllocationFailure(error) || idle.length === 0) throw error;
      for (const entry of idle) await this.releaseEntry(entry);
      this.evictions += idle.length;
      return attempt();
    }
  }

  private async releaseEntry(entry: Entry): Promise<void> {
    if (this.entries.get(entry.digest) !== entry) return;
    this.entries.delete(entry.digest);
    this.retired.delete(entry.digest);
    await entry.session.release();
  }

  private chargedBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.chargedBytes;
    return total;
  }
}

/** Bytes the allocator has handed out: the heap less its free blocks. */
function usedBytes(): number {
  return wasmMemoryBytes() - (wasmHeap()?.freeBytes() ?? 0);
}

/** The model's inputs with the dims it declares (symbolic names tie dimensions together during calibration). */
function calibrationInputs(signature: Signature, declared: Map<string, OnnxValueInfo>) {
  return signature.inputs.map((spec) => ({
    name: spec.name,
    datatype: spec.datatype,
    dims: calibrationDims(declared.get(spec.name)?.dims, spec.shape ?? []),
  }));
}

async function runSession(entry: Entry, inputs: NamedTensors, outputNames?: string[]): Promise<NamedTensors> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) feeds[name] = toOrtTensor(tensor);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = outputNames ? await entry.session.run(feeds, outputNames) : await entry.session.run(feeds);
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

/** onnxruntime reports an allocation refused at the heap's ceiling as `std::bad_alloc`. */
function isAllocationFailure(error: unknown): boolean {
  return /bad_alloc|Failed to allocate memory/i.test(error instanceof Error ? error.message : String(error));
}
