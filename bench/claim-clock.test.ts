import { describe, expect, it } from 'vitest';
import type { Block } from '../src/api/v1alpha1/index.js';
import { ClaimClock, IdleClock, percentile } from './claim-clock.js';

const block = (status?: Block['status'], report?: Block['spec']['report']): Block => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Block',
  metadata: { name: 'b' },
  spec: { worklist: 'w', ...(report ? { report } : {}) },
  ...(status ? { status } : {}),
});

describe('ClaimClock', () => {
  it('times a new Block from its creation to its first range', () => {
    const c = new ClaimClock();
    c.observe('ADDED', block({ phase: 'Pending' }), 1000);
    c.observe('MODIFIED', block({ phase: 'Ready', token: 1 }), 1040);
    expect(c.samples).toEqual([40]);
  });

  it('times the next range from the complete report, not from earlier progress', () => {
    const c = new ClaimClock();
    c.observe('MODIFIED', block({ phase: 'Ready', token: 1 }), 0);
    c.observe('MODIFIED', block({ phase: 'Ready', token: 1 }, { token: 1, done: '0-5' }), 500);
    c.observe(
      'MODIFIED',
      block({ phase: 'Ready', token: 1 }, { token: 1, done: '0-9', complete: true }),
      900,
    );
    c.observe('MODIFIED', block({ phase: 'Ready', token: 2 }, { token: 1, complete: true }), 925);
    expect(c.samples).toEqual([25]);
  });

  it('counts no claim for a Block drained or lost while it asked', () => {
    const c = new ClaimClock();
    c.observe('ADDED', block(), 0);
    c.observe('MODIFIED', block({ phase: 'Drained' }), 100);
    c.observe('MODIFIED', block({ phase: 'Ready', token: 1 }), 200);
    expect(c.samples).toEqual([]);
  });

  it('keeps the first moment of asking when the Block changes again meanwhile', () => {
    const c = new ClaimClock();
    c.observe('ADDED', block(), 0);
    c.observe('MODIFIED', block({ phase: 'Pending' }), 30);
    c.observe('MODIFIED', block({ phase: 'Ready', token: 7 }), 50);
    expect(c.samples).toEqual([50]);
  });
});

describe('ClaimClock with next ranges', () => {
  const ready = (token: number, next?: number): Block['status'] => ({
    phase: 'Ready',
    token,
    ...(next ? { next: { index: 0, size: 1, token: next } } : {}),
  });

  it('times a switch from the report that starts the next range to the status with a new next', () => {
    const c = new ClaimClock();
    c.observe('ADDED', block(), 0);
    c.observe('MODIFIED', block(ready(1, 2)), 10);
    c.observe('MODIFIED', block(ready(1, 2), { token: 2, finished: { token: 1 } }), 500);
    c.observe('MODIFIED', block(ready(2, 3), { token: 2, finished: { token: 1 } }), 530);
    expect(c.samples).toEqual([10, 30]);
    expect([...c.tokens]).toEqual([1, 2, 3]);
  });

  it('counts every range handed out once, though a status shows it as next and then as current', () => {
    const c = new ClaimClock();
    c.observe('MODIFIED', block(ready(1, 2)), 0);
    c.observe('MODIFIED', block(ready(2)), 10);
    c.observe('MODIFIED', block(ready(2)), 20);
    expect(c.tokens.size).toBe(2);
  });
});

describe('IdleClock', () => {
  it('times the gap between the last item of a range and the first of the next, not between items of one range', async () => {
    const idle = new IdleClock();
    let t = 0;
    const run = idle.wrap(
      async () => ((t += 5), true),
      () => t,
    );
    idle.rangeStarted({ token: 7 });
    for (const offset of [0, 1, 2]) await run('x', offset);
    t += 40;
    // The next range follows on from the last one: only the worker knows where one ends.
    idle.rangeStarted({ token: 9 });
    for (const offset of [3, 4]) await run('x', offset);
    expect(idle.samples).toEqual([40]);
    // Each item took 5: what an item really took, whatever its cost said.
    expect([idle.busyMs, idle.items]).toEqual([25, 5]);
  });
});

describe('percentile', () => {
  it.each([
    { case: 'nothing for no samples', samples: [], p: 50, want: undefined },
    { case: 'the median by nearest rank', samples: [5, 1, 3, 2, 4], p: 50, want: 3 },
    { case: 'the largest for p100', samples: [5, 1, 3], p: 100, want: 5 },
    {
      case: 'p99 of 100 samples is the 99th',
      samples: Array.from({ length: 100 }, (_, i) => i + 1),
      p: 99,
      want: 99,
    },
  ])('$case', ({ samples, p, want }) => {
    expect(percentile(samples, p)).toBe(want);
  });
});
