/**
 * A keyed work queue in the manner of client-go's workqueue: a key waits at most once however
 * often it is added (dedupe), is never processed by two workers at once (a key added while it is
 * processed runs again afterwards), failures come back with per-key exponential backoff, and
 * addAfter schedules a later look. Time comes from an injected timer.
 */
export interface Timer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  timer?: Timer;
}

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly later = new Map<string, { at: number; handle: unknown }>();
  private readonly takers: ((key: string | undefined) => void)[] = [];
  private shut = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timer: Timer;

  constructor(options: QueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.timer = options.timer ?? realTimer;
  }

  get length(): number {
    return this.waiting.length;
  }

  add(key: string): void {
    if (this.shut) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const taker = this.takers.shift();
    if (taker) {
      this.queued.delete(key);
      this.processing.add(key);
      taker(key);
    } else {
      this.waiting.push(key);
    }
  }

  /** Adds the key after `ms`; an earlier pending addAfter for the same key wins. */
  addAfter(key: string, ms: number): void {
    const now = this.timer.now();
    if (this.shut) return;
    if (ms <= 0) return this.add(key);
    const pending = this.later.get(key);
    if (pending && pending.at <= now + ms) return;
    if (pending) this.timer.clearTimeout(pending.handle);
    const handle = this.timer.setTimeout(() => {
      this.later.delete(key);
      this.add(key);
    }, ms);
    this.later.set(key, { at: now + ms, handle });
  }

  /** Re-adds a key whose processing failed, after its backoff: base × 2^failures, capped. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  /** Forgets a key's failures (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process; undefined once the queue is shut down. Call done(key) after. */
  get(): Promise<string | undefined> {
    if (this.shut) return Promise.resolve(undefined);
    const key = this.waiting.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.takers.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.shut = true;
    for (const { handle } of this.later.values()) this.timer.clearTimeout(handle);
    this.later.clear();
    for (const taker of this.takers.splice(0)) taker(undefined);
  }
}
