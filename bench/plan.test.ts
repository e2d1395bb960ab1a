import { describe, expect, it } from 'vitest';
import { itemFunction } from './item-functions.js';
import { commandItemsFor, FULL_PLAN, itemsFor, only, podPerBlockItemsFor } from './plan.js';

describe('benchmark sizing', () => {
  it.each([
    { case: 'zero-cost runs have the plan’s fixed item count', fn: 'zero', w: 1, want: 200_000 },
    { case: 'zero-cost runs have four blocks per worker at least', fn: 'zero', w: 64, want: 256_000 },
    { case: '1 ms items: workers × 8 s of work', fn: '1ms', w: 4, want: 32_000 },
    { case: '100 ms items: workers × 8 s of work, in blocks of 10', fn: '100ms', w: 16, want: 1280 },
    { case: 'heavy-tailed items: sized by the 10 ms mean', fn: 'heavy', w: 1, want: 800 },
  ] as const)('$case', ({ fn, w, want }) => {
    expect(itemsFor(FULL_PLAN, itemFunction(fn), w)).toBe(want);
  });

  it('rounds up to whole blocks', () => {
    expect(itemsFor({ ...FULL_PLAN, targetSeconds: 0.5 }, itemFunction('1ms'), 1)).toBe(1000);
  });

  it('caps the pod-per-block runs in pods, per worker and in all, in whole blocks', () => {
    expect(podPerBlockItemsFor(FULL_PLAN, itemFunction('1ms'), 64)).toBe(200 * 1000);
    expect(podPerBlockItemsFor(FULL_PLAN, itemFunction('zero'), 1)).toBe(25 * 1000);
    expect(podPerBlockItemsFor(FULL_PLAN, itemFunction('100ms'), 1)).toBe(80);
  });

  it('caps the process-per-item runs', () => {
    expect(commandItemsFor(FULL_PLAN, itemFunction('zero'), 4)).toBe(5000);
    expect(commandItemsFor(FULL_PLAN, itemFunction('100ms'), 1)).toBe(80);
  });

  it('keeps one scenario alone when asked, and nothing else of the plan', () => {
    const tree = only(FULL_PLAN, 'tree');
    expect(tree).toMatchObject({ label: 'full, tree only', functions: [], workers: [], reclaimSamples: 0 });
    expect(tree.tree).toEqual(FULL_PLAN.tree);
    expect([tree.tasks, tree.scale, tree.crowd, tree.gateway]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('refuses a scenario it does not have, naming the ones it has', () => {
    expect(() => only(FULL_PLAN, 'trees')).toThrow(
      'TEAMTASK_BENCH_ONLY=trees: no such scenario; use one of tasks, scale, crowd, tree, gateway',
    );
  });
});
