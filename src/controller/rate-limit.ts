import { TokenBucket } from '../kube/token-bucket.js';

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
