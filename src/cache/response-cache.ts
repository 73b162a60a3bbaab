/**
 * The KV response cache: exact-match reads, writes after the response (through `waitUntil`), and single flight:
 * identical misses in one isolate share one run of the work.
 */
import { decodeHead, encodeHead } from "./stored-response";

/** KV refuses expirations under 60 s; shorter TTLs are enforced on read from `storedAt`. */
const MIN_KV_TTL_SECONDS = 60;

export type CacheMode = "normal" | "no-cache" | "no-store";
export type CacheStatus = "HIT" | "MISS" | "BYPASS";

export interface Produced {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

export interface CacheResult {
  status: number;
  headers: [string, string][];
  /** The produced bytes, or a hit's body streamed from KV (KV streams carry their length). */
  body: Uint8Array | ReadableStream<Uint8Array>;
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

  /** `no-cache` skips the read and still stores the result; callers handle `no-store` (and TTL 0) themselves. */
  async serve(key: string, ttlSeconds: number, mode: Exclude<CacheMode, "no-store">, produce: () => Promise<Produced>): Promise<CacheResult> {
    if (mode === "normal") {
      const shared = inFlight.get(key);
      if (shared) return follow(await shared);
      const stored = await this.read(key);
      if (stored) return stored;
      const startedMeanwhile = inFlight.get(key);
      if (startedMeanwhile) return follow(await startedMeanwhile);
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
    return { ...produced, cache: mode === "normal" ? "MISS" : "BYPASS" };
  }

  private cacheable(produced: Produced): boolean {
    return produced.status >= 200 && produced.status <= 299 && produced.body.byteLength <= this.maxBytes;
  }

  private async write(key: string, produced: Produced, ttlSeconds: number): Promise<void> {
    const metadata = encodeHead({ status: produced.status, headers: produced.headers, storedAt: Date.now(), ttlSeconds, bytes: produced.body.byteLength });
    if (!metadata) return; // a head too large for KV metadata (many warnings): not cached
    await this.kv.put(key, produced.body, { metadata, expirationTtl: Math.max(MIN_KV_TTL_SECONDS, ttlSeconds) }).catch(() => undefined);
  }

  private async read(key: string): Promise<CacheResult | undefined> {
    let found: KVNamespaceGetWithMetadataResult<ReadableStream, unknown>;
    try {
      found = await this.kv.getWithMetadata(key, "stream");
    } catch {
      return undefined;
    }
    if (found.value === null) return undefined;
    const head = decodeHead(found.metadata);
    if (!head || Date.now() - head.storedAt >= head.ttlSeconds * 1000) {
      await found.value.cancel().catch(() => undefined);
      return undefined;
    }
    const age = Math.floor((Date.now() - head.storedAt) / 1000);
    return { status: head.status, headers: head.headers, body: found.value, cache: "HIT", age };
  }
}

/** Followers of a single flight are hits on the leader's result; each gets its own copy of the bytes. */
function follow(produced: Produced): CacheResult {
  return { status: produced.status, headers: produced.headers, body: produced.body.slice(), cache: "HIT", age: 0 };
}
