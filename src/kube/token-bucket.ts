/**
 * A token bucket, like client-go's flowcontrol limiter: `qps` tokens a second, at most `burst`
 * saved up. The controller spends it on assignments (after the write that made them succeeded), the
 * gateway on its callers' requests. Time comes from the caller.
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
