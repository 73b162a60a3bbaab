/**
 * Who runs next in this isolate's one WebAssembly instance. A run cannot be interrupted once it starts (WASM runs to
 * completion on the isolate's only thread), so fairness is decided between runs:
 * - each model has its own queue, first in first out, and the queues take turns, so one model's backlog delays
 *   another model's request by at most one run;
 * - before handing the turn on, a finished run yields to the event loop, so requests that arrived meanwhile are
 *   read, checked and queued first (a pipeline's stages, each a run, let small requests in between).
 * One job at a time also means one run's working memory at a time, which the session pool's memory plan relies on.
 *
 * Each request drives its own job: the turn is a promise the previous holder resolves, and the waiting is done in
 * the waiting request's own context (workerd ties timers and I/O to the request that started them, so one request
 * must never run another's work).
 */

interface Waiter {
  start: () => void;
}

export class RunScheduler {
  private readonly queues = new Map<string, Waiter[]>();
  /** Keys with waiting jobs, in the order they take their turns. */
  private readonly turns: string[] = [];
  private busy = false;
  private waiting = 0;

  /** Jobs waiting for their turn (not counting the one running). */
  get queued(): number {
    return this.waiting;
  }

  /** Runs `job` on `key`'s turn; resolves or rejects as it does. */
  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    if (this.busy) await this.wait(key);
    else this.busy = true;
    try {
      return await job();
    } finally {
      await this.handOn();
    }
  }

  private wait(key: string): Promise<void> {
    return new Promise((start) => {
      const queue = this.queues.get(key);
      if (queue) queue.push({ start });
      else {
        this.queues.set(key, [{ start }]);
        this.turns.push(key);
      }
      this.waiting += 1;
    });
  }

  /** Gives the turn to the next key's oldest job, after letting requests that arrived meanwhile queue up. */
  private async handOn(): Promise<void> {
    if (this.waiting > 0) await yieldToEventLoop();
    const key = this.turns.shift();
    if (key === undefined) {
      this.busy = false;
      return;
    }
    const queue = this.queues.get(key)!;
    const next = queue.shift()!;
    if (queue.length > 0) this.turns.push(key);
    else this.queues.delete(key);
    this.waiting -= 1;
    next.start();
  }
}

/** Lets the isolate take incoming requests and I/O before the caller continues. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
