import { describe, expect, it } from 'vitest';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { bar, itemMap, itemStates, progressLine, progressOf, progressSummary } from './progress.js';

const now = new Date('2026-11-24T12:00:00Z');
const worklist: Worklist = {
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Worklist',
  metadata: { name: 'primes' },
  spec: { source: { range: { start: 1, end: 100 } }, blockSize: 10 },
  status: {
    totalItems: 100,
    completed: '0-39',
    failed: '95',
    startTime: new Date(now.getTime() - 20_000).toISOString(),
    assigned: ['a 40+10#5@1 60s 0-1'],
    leasesFrom: now.toISOString(),
  },
};
const blocks: Block[] = [
  {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name: 'a' },
    spec: { worklist: 'primes', report: { token: 5, done: '40-44' } },
  },
];
const plain = { color: false };

describe('status', () => {
  const states = itemStates(worklist, blocks);

  it("counts a Block's newer report before the controller folded it", () => {
    expect(states.done.toString()).toBe('0-44');
    expect(states.running.toString()).toBe('45-49');
  });

  it('measures progress, the rate since the start and the time left', () => {
    expect(progressOf(worklist, states, now)).toEqual({
      name: 'primes',
      total: 100,
      completed: 45,
      failed: 1,
      inFlight: 5,
      pending: 49,
      percent: 46,
      itemsPerSecond: 2.3,
      etaSeconds: 24,
      complete: false,
    });
    expect(progressOf(worklist, states, now, 27).etaSeconds).toBe(2);
  });

  it("measures the current rate against the controller's older rate sample, not since the start", () => {
    const sampled: Worklist = {
      ...worklist,
      status: {
        ...worklist.status,
        rateSamples: [
          { time: new Date(now.getTime() - 10_000).toISOString(), finishedItems: 41 },
          { time: now.toISOString(), finishedItems: 46 },
        ],
      },
    };
    // 46 finished now (45 + 1), 41 ten seconds ago: 0.5 items/s, where the average says 2.3.
    expect(progressOf(sampled, states, now)).toMatchObject({ itemsPerSecond: 0.5, etaSeconds: 108 });
  });

  it('draws a bar and a map a person reads at a glance', () => {
    const p = progressOf(worklist, states, now);
    expect(bar(p, 20, plain)).toBe('[█████████▒░░░░░░░░░░] 46.0%');
    expect(itemMap(states, 20, plain)).toBe('█████████▒·········✗');
    expect(bar(p, 20, { color: true })).toContain('\x1b[32m█████████\x1b[0m');
  });

  it('prints one parseable line when stdout is not a terminal', () => {
    const p = progressOf(worklist, states, now);
    expect(progressLine(p)).toBe(
      'primes 46.0% completed=45 failed=1 inflight=5 pending=49 total=100 rate=2.3/s eta=24s',
    );
    expect(progressSummary(p)).toBe(
      '45/100 completed · 1 failed · 5 in flight · 49 pending · 2.3 items/s · ETA 24s',
    );
  });
});
