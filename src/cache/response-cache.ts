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

/**
 * What the cache tells its caller before answering: `hit()` before a cached (or shared) result is returned, `admit()`
 * before this request's own work runs. Either may refuse by throwing (metering: key status, rate limit, quota).
 */
export interface CacheGate {
  hit(): Promise<void>;
  admit(): Promise<void>;
}

/** Marks a shared run whose leader was refused admission: its followers must not inherit the refusal. */
const ABANDONED = Symbol("abandoned");

/** One request for an answer: where it is cached, for how long, how the cache may be used, how to make it. */
interface CacheJob {
  key: string;
  ttlSeconds: number;
  mode: Exclude<CacheMode, "no-store">;
  gate: CacheGate;
  produce: () => Promise<Produced>;
}

const inFlight = new Map<string, Promise<Produced | typeof ABANDONED>>();

export class ResponseCache {
  constructor(
    private readonly kv: KVNamespace,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly maxBytes: number,
  ) {}

  /** `no-cache` skips the read and still stores the result; callers handle `no-store` (and TTL 0) themselves. */
  async serve(
    key: string,
    ttlSeconds: number,
    mode: Exclude<CacheMode, "no-store">,
    gate: CacheGate,
    produce: () => Promise<Produced>,
  ): Promise<CacheResult> {
    while (mode === "normal") {
      const shared = inFlight.get(key);
      if (shared) {
        const followed = await this.follow(key, shared, gate);
        if (followed) return followed;
        continue; // the request it followed was refused: try again on our own
      }
      const stored = await this.read(key);
      if (stored) {
        try {
          await gate.hit();
        } catch (error) {
          await (stored.body as ReadableStream).cancel().catch(() => undefined);
          throw error;
        }
        return stored;
      }
      if (!inFlight.has(key)) break; // else an identical request started while we read: follow it
    }
    return this.lead({ key, ttlSeconds, mode, gate, produce });
  }

  /**
   * Runs the work for everyone asking the same thing. The run is shared from the moment this request asks to be
   * admitted, so identical requests arriving meanwhile wait for it; if this request is refused, they are told
   * so (`ABANDONED`) and try on their own rather than inherit another caller's refusal.
   */
  private async lead({ key, ttlSeconds, mode, gate, produce }: CacheJob): Promise<CacheResult> {
    const admission = gate.admit();
    const run: Promise<Produced | typeof ABANDONED> = admission.then(produce, () => ABANDONED);
    // The entry stays until the KV write lands, so no identical request misses in between.
    if (mode === "normal") inFlight.set(key, run);
    const forget = () => inFlight.get(key) === run && inFlight.delete(key);
    let produced: Produced;
    try {
      await admission;
      produced = (await run) as Produced;
    } catch (error) {
      forget();
      throw error;
    }
    const write = this.cacheable(produced) ? this.write(key, produced, ttlSeconds) : Promise.resolve();
    this.waitUntil(write.finally(forget));
    return { ...produced, cache: mode === "normal" ? "MISS" : "BYPASS" };
  }

  /** A follower is charged only once the run it shares has succeeded; `undefined` when that run was refused. */
  private async follow(
    key: string,
    shared: Promise<Produced | typeof ABANDONED>,
    gate: CacheGate,
  ): Promise<CacheResult | undefined> {
    const produced = await shared;
    if (produced === ABANDONED) {
      if (inFlight.get(key) === shared) inFlight.delete(key);
      return undefined;
    }
    await gate.hit();
    return { status: produced.status, headers: produced.headers, body: produced.body.slice(), cache: "HIT", age: 0 };
  }

  private cacheable(produced: Produced): boolean {
    return produced.status >= 200 && produced.status <= 299 && produced.body.byteLength <= this.maxBytes;
  }

  private async write(key: string, produced: Produced, ttlSeconds: number): Promise<void> {
    const metadata = encodeHead({
      status: produced.status,
      headers: produced.headers,
      storedAt: Date.now(),
      ttlSeconds,
      bytes: produced.body.byteLength,
    });
    if (!metadata) return; // a head too large for KV metadata (many warnings): not cached
    await this.kv
      .put(key, produced.body, { metadata, expirationTtl: Math.max(MIN_KV_TTL_SECONDS, ttlSeconds) })
      .catch(() => undefined);
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
