import { describe, expect, it } from 'vitest';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import {
  bar,
  itemMap,
  itemStates,
  progressLine,
  progressOf,
  progressSummary,
  secondaryLine,
  secondaryOf,
  secondaryProgress,
} from './progress.js';

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

describe("a parent's status: its secondaries", () => {
  const states = itemStates(worklist, blocks);
  const block = (annotations: Record<string, string>, status: Block['status']): Block => ({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name: 'team-b.share', annotations },
    spec: { worklist: 'primes' },
    status,
  });
  const holding = { phase: 'Ready' as const, index: 50, size: 20, token: 9 };
  const secondary = (ready: { status: 'True' | 'False'; reason: string }): Worklist => ({
    ...worklist,
    metadata: { name: 'share', namespace: 'team-b' },
    spec: { source: { worklist: { name: 'primes', namespace: 'team-a' } }, blockSize: 2 },
    status: {
      totalItems: 100,
      completed: '50-59',
      startTime: new Date(now.getTime() - 10_000).toISOString(),
      conditions: [{ type: 'Ready', lastTransitionTime: now.toISOString(), message: '', ...ready }],
    },
  });

  it.each([
    {
      name: 'one in this cluster: what it holds of the parent, its own count, rate, ETA and Ready',
      b: block({ 'teamtask.dev/secondary': 'team-b/share' }, holding),
      w: secondary({ status: 'True', reason: 'Ready' }),
      want: {
        name: 'team-b/share',
        holds: '50-69',
        completed: 10,
        itemsPerSecond: 1,
        etaSeconds: 20,
        health: 'Ready',
      },
      line: '└ team-b/share · holds 50-69 · 10 completed · 1 items/s · ETA 20s · Ready',
    },
    {
      name: 'one that cannot reach its parent: its reason',
      b: block({ 'teamtask.dev/secondary': 'team-b/share' }, holding),
      w: secondary({ status: 'False', reason: 'ParentUnreachable' }),
      want: { health: 'ParentUnreachable' },
      line: undefined,
    },
    {
      name: 'one in another cluster: the parent view only',
      b: block({ 'teamtask.dev/secondary-elsewhere': 'team-c/far' }, holding),
      w: undefined,
      want: { name: 'team-c/far', elsewhere: true, holds: '50-69', health: 'Ready' },
      line: '└ team-c/far (another cluster) · holds 50-69 · Ready',
    },
    {
      name: 'one whose lease ran out: Lost, holding nothing',
      b: block({ 'teamtask.dev/secondary-elsewhere': 'team-c/far' }, { phase: 'Lost' }),
      w: undefined,
      want: { holds: '', health: 'Lost' },
      line: '└ team-c/far (another cluster) · holds nothing · Lost',
    },
    {
      name: 'one gone from this cluster while its Block lives on',
      b: block({ 'teamtask.dev/secondary': 'team-b/share' }, holding),
      w: undefined,
      want: { health: 'NotFound' },
      line: undefined,
    },
  ])('$name', ({ b, w, want, line }) => {
    const p = secondaryProgress(b, states, w, now);
    expect(p).toMatchObject(want);
    if (line) expect(secondaryLine(p)).toBe(line);
  });

  it('is none for a Block of a plain worker', () => {
    expect(secondaryOf(blocks[0]!)).toBeUndefined();
  });
});
