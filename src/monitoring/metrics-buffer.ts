/**
 * An isolate's metrics on their way to the models' metrics objects. Each answered request is added, in memory, to
 * the aggregate of its model, version and minute; the buffer is sent (one call per model) in `waitUntil` once it
 * holds FLUSH_REQUESTS requests, or FLUSH_MS after its first request (a timer; without it, with the first request
 * that finds the buffer that old), whichever comes first: never on a response's path. What an isolate that dies
 * before sending costs is bounded by both (docs/design/monitoring.md).
 * A batch that fails is kept (at most MAX_RETRIED) and sent again with the same id, so it is counted once.
 */
import { type Aggregate, emptyAggregate, observe, type Served } from "./aggregate";
import { type MetricsBatch, MINUTE_MS } from "./metrics-object";

/** Requests an isolate gathers before it sends them. */
export const FLUSH_REQUESTS = 100;
/** Longest time a request waits in an isolate's buffer. */
export const FLUSH_MS = 5_000;
const MAX_RETRIED = 16;

/** Sends one model's batch to its metrics object. */
export type MetricsSink = (model: string, batch: MetricsBatch) => Promise<unknown>;

export class MetricsBuffer {
  private pending = new Map<string, Map<string, Aggregate>>();
  private requests = 0;
  private sequence = 0;
  /** Flushes so far: a timer armed for a buffer that was since sent finds it changed and does nothing. */
  private generation = 0;
  /** When the buffer's first request arrived (epoch ms). */
  private since = 0;
  private readonly retried: { model: string; batch: MetricsBatch }[] = [];
  private inFlight: Promise<void> = Promise.resolve();

  /**
   * @param timer arm a timer in `waitUntil` when a request enters the empty buffer. Off in the in-workerd tests: the
   *   test pool holds each request's `waitUntil` work, and a 5 s timer per buffer slowed a 1,400-request file from
   *   10 s past its 300 s limit.
   */
  constructor(
    private readonly isolate: string,
    private readonly timer = true,
    private readonly flushRequests = FLUSH_REQUESTS,
    private readonly flushMillis = FLUSH_MS,
  ) {}

  /**
   * Adds one request; starts a send in `waitUntil` when the buffer is full, and arms the timer that sends it
   * FLUSH_MS later when it was empty.
   */
  add(model: string, version: string, served: Served, sink: MetricsSink, waitUntil: (p: Promise<unknown>) => void) {
    const minute = Math.floor(served.at / MINUTE_MS) * MINUTE_MS;
    const byKey = this.pending.get(model) ?? new Map<string, Aggregate>();
    this.pending.set(model, byKey);
    const key = `${version}\n${minute}`;
    const aggregate = byKey.get(key) ?? emptyAggregate();
    byKey.set(key, aggregate);
    observe(aggregate, served);
    this.requests += 1;
    if (this.requests === 1) this.since = served.at;
    if (this.requests >= this.flushRequests || served.at - this.since >= this.flushMillis) waitUntil(this.flush(sink));
    else if (this.requests === 1 && this.timer) {
      const armed = this.generation;
      const timer = new Promise((resolve) => setTimeout(resolve, this.flushMillis));
      waitUntil(timer.then(() => (this.generation === armed ? this.flush(sink) : undefined)));
    }
  }

  /** Sends everything gathered (and any batch that failed before), after the sends already under way. */
  flush(sink: MetricsSink): Promise<void> {
    const batches = this.retried.splice(0);
    for (const [model, byKey] of this.pending) {
      const entries = [...byKey].map(([key, aggregate]) => {
        const [version, minute] = key.split("\n") as [string, string];
        return { version, minute: Number(minute), aggregate };
      });
      batches.push({ model, batch: { id: `${this.isolate}:${++this.sequence}`, entries } });
    }
    this.pending = new Map();
    this.requests = 0;
    this.generation += 1;
    const previous = this.inFlight;
    this.inFlight = previous.then(() => this.send(sink, batches));
    return this.inFlight;
  }

  private async send(sink: MetricsSink, batches: { model: string; batch: MetricsBatch }[]): Promise<void> {
    await Promise.all(
      batches.map(async (item) => {
        try {
          await sink(item.model, item.batch);
        } catch {
          if (this.retried.length < MAX_RETRIED) this.retried.push(item);
        }
      }),
    );
  }
}
