/**
 * The KV response cache: exact-match reads, writes after the response (through `waitUntil`), and single flight:
 * identical misses in one isolate share one run of the work.
 */
import { decodeStored, encodeStored, type StoredResponse } from "./stored-response";

/** KV refuses expirations under 60 s; shorter TTLs are enforced on read from `storedAt`. */
const MIN_KV_TTL_SECONDS = 60;

export type CacheMode = "normal" | "no-cache" | "no-store";
export type CacheStatus = "HIT" | "MISS" | "BYPASS";

export interface Produced {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

export interface CacheResult extends Produced {
  cache: CacheStatus;
  /** Seconds since the response was produced (hits only). */
  age?: number;
}

const inFlight = new Map<string, Promise<Produced>>();

export class ResponseCache {
  constructor(
    private readonly kv: KVNamespace,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly maxBytes: number,
  ) {}

  async serve(key: string, ttlSeconds: number, mode: CacheMode, produce: () => Promise<Produced>): Promise<CacheResult> {
    if (ttlSeconds <= 0 || mode === "no-store") return { ...(await produce()), cache: "BYPASS" };
    if (mode === "normal") {
      const shared = inFlight.get(key);
      if (shared) return { ...copy(await shared), cache: "HIT", age: 0 };
      const stored = await this.read(key);
      if (stored) return { status: stored.status, headers: stored.headers, body: stored.body, cache: "HIT", age: Math.floor((Date.now() - stored.storedAt) / 1000) };
      const startedMeanwhile = inFlight.get(key);
      if (startedMeanwhile) return { ...copy(await startedMeanwhile), cache: "HIT", age: 0 };
    }
    const run = produce();
    // The entry stays until the KV write lands, so no identical request misses in between.
    if (mode === "normal") inFlight.set(key, run);
    let produced: Produced;
    try {
      produced = await run;
    } catch (error) {
      inFlight.delete(key);
      throw error;
    }
    const write = this.cacheable(produced) ? this.write(key, produced, ttlSeconds) : Promise.resolve();
    this.waitUntil(write.finally(() => inFlight.get(key) === run && inFlight.delete(key)));
    return { ...copy(produced), cache: mode === "normal" ? "MISS" : "BYPASS" };
  }

  private cacheable(produced: Produced): boolean {
    return produced.status >= 200 && produced.status <= 299 && produced.body.byteLength <= this.maxBytes;
  }

  private async write(key: string, produced: Produced, ttlSeconds: number): Promise<void> {
    const value = encodeStored({ ...produced, storedAt: Date.now(), ttlSeconds });
    await this.kv.put(key, value, { expirationTtl: Math.max(MIN_KV_TTL_SECONDS, ttlSeconds) }).catch(() => undefined);
  }

  private async read(key: string): Promise<StoredResponse | undefined> {
    let value: ArrayBuffer | null;
    try {
      value = await this.kv.get(key, "arrayBuffer");
    } catch {
      return undefined;
    }
    const stored = value ? decodeStored(value) : undefined;
    if (!stored || Date.now() - stored.storedAt >= stored.ttlSeconds * 1000) return undefined;
    return stored;
  }
}

/** Followers of a single flight get their own copy: a body can be consumed only once. */
function copy(produced: Produced): Produced {
  return { status: produced.status, headers: produced.headers, body: produced.body.slice(0) };
}
