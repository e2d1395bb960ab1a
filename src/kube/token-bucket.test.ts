import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it.each([
    { name: 'starts full', steps: [] as [number, number][], at: 0, available: 5 },
    { name: 'spends what is taken', steps: [[0, 3]] as [number, number][], at: 0, available: 2 },
    { name: 'refills at qps', steps: [[0, 5]] as [number, number][], at: 500, available: 1 },
    { name: 'saves up to burst only', steps: [[0, 5]] as [number, number][], at: 60_000, available: 5 },
    { name: 'owes tokens it overspent', steps: [[0, 7]] as [number, number][], at: 500, available: -1 },
  ])('$name', ({ steps, at, available }) => {
    const b = new TokenBucket(2, 5, 0);
    for (const [t, n] of steps) b.take(n, t);
    expect(b.available(at)).toBe(available);
  });

  it('says how long until the next token', () => {
    const b = new TokenBucket(4, 1, 0);
    expect(b.waitMs(0)).toBe(0);
    b.take(1, 0);
    expect(b.waitMs(0)).toBe(250);
    expect(b.waitMs(100)).toBe(150);
  });

  it('refuses a limit that could never give a token', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(/qps > 0/);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(/burst ≥ 1/);
  });
});
