/**
 * A token bucket, like client-go's flowcontrol limiter: `qps` tokens a second, at most `burst`
 * saved up. The controller asks how many assignments it may make now and takes what it used,
 * after the write that made them succeeded. Time comes from the caller.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`need qps > 0 and burst ≥ 1, got ${qps}/${burst}`);
    this.tokens = burst;
    this.last = now;
  }

  /** Whole tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  /** Spends `n` tokens (may go below zero when two callers raced for the same ones). */
  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Milliseconds until one whole token is available (0 when one is), once `spent` more are taken. */
  waitMs(now: number, spent = 0): number {
    this.refill(now);
    const left = this.tokens - spent;
    return left >= 1 ? 0 : Math.ceil(((1 - left) / this.qps) * 1000);
  }

  private refill(now: number): void {
    if (now > this.last)
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = Math.max(this.last, now);
  }
}

/** The global limit and one limit per Worklist: an assignment needs a token from both. */
export class AssignmentLimits {
  private readonly global: TokenBucket;
  private readonly perWorklist = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: { qps: number; burst: number; worklistQps: number; worklistBurst: number },
    private readonly now: () => number,
  ) {
    this.global = new TokenBucket(limits.qps, limits.burst, now());
  }

  budget(key: string): number {
    const t = this.now();
    return Math.min(this.global.available(t), this.bucket(key).available(t));
  }

  take(key: string, n: number): void {
    if (n <= 0) return;
    const t = this.now();
    this.global.take(n, t);
    this.bucket(key).take(n, t);
  }

  /** How long until the Worklist may assign again, once `spent` more assignments are made. */
  waitMs(key: string, spent = 0): number {
    const t = this.now();
    return Math.max(this.global.waitMs(t, spent), this.bucket(key).waitMs(t, spent));
  }

  forget(key: string): void {
    this.perWorklist.delete(key);
  }

  private bucket(key: string): TokenBucket {
    let b = this.perWorklist.get(key);
    if (!b) {
      b = new TokenBucket(this.limits.worklistQps, this.limits.worklistBurst, this.now());
      this.perWorklist.set(key, b);
    }
    return b;
  }
}
