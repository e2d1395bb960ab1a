import { describe, expect, it } from 'vitest';
import { costOf, ITEM_FUNCTIONS, itemFunction, unitHash } from './item-functions.js';

describe('item functions', () => {
  it('give every system the same cost for an offset', () => {
    for (const fn of ITEM_FUNCTIONS) expect(fn.costMs(12345)).toBe(fn.costMs(12345));
  });

  it('hash offsets to [0, 1), spread out', () => {
    const u = Array.from({ length: 10_000 }, (_, i) => unitHash(i));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.filter((x) => x < 0.5).length).toBeGreaterThan(4800);
    expect(u.filter((x) => x < 0.5).length).toBeLessThan(5200);
  });

  it('make the heavy-tailed one heavy-tailed: mean near 10 ms, median near 5.3 ms, a long tail', () => {
    const heavy = itemFunction('heavy');
    const n = 100_000;
    const costs = Array.from({ length: n }, (_, i) => heavy.costMs(i)).sort((a, b) => a - b);
    expect(costOf(heavy, 0, n) / n).toBeGreaterThan(8);
    expect(costOf(heavy, 0, n) / n).toBeLessThan(11);
    expect(costs[n / 2]).toBeCloseTo(5.3, 0);
    expect(costs[n - 1]! / costs[n / 2]!).toBeGreaterThan(100);
    expect(costs[n - 1]).toBeLessThanOrEqual(2000);
  });

  it('sum costs over a range of offsets', () => {
    expect(costOf(itemFunction('1ms'), 10, 20)).toBe(10);
    expect(costOf(itemFunction('zero'), 0, 1000)).toBe(0);
  });
});
