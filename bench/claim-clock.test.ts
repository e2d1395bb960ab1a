import { describe, expect, it } from 'vitest';
import type { Block } from '../src/api/v1alpha1/index.js';
import { ClaimClock, percentile } from './claim-clock.js';

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
