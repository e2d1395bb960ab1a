import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Worklist } from '../api/v1alpha1/index.js';
import {
  applyReport,
  askToYield,
  asked,
  assign,
  assignNext,
  emptyLedger,
  expireLeases,
  fromStatus,
  isFinished,
  ledgerOf,
  liveItems,
  places,
  poolSize,
  putBack,
  reclaim,
  toStatus,
  unassigned,
  type Ledger,
  type Policy,
  type Report,
} from './ledger.js';
import { RangeSet } from './range-set.js';

const policy: Policy = { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 };
const s = (text: string) => RangeSet.parse(text);
const report = (
  token: number,
  done = '',
  failed = '',
  extra: { complete?: boolean; release?: boolean; goOn?: boolean } = {},
) => ({
  token,
  done: s(done),
  failed: s(failed),
  ...extra,
});

function given(l: Ledger, ...blocks: string[]): Ledger {
  return blocks.reduce((acc, b) => assign(acc, b, policy, 0)!.ledger, l);
}

describe('assign', () => {
  it('hands out the first blockSize unassigned items with a fresh token', () => {
    const { ledger, assignment } = assign(emptyLedger(25), 'w0', policy, 1000)!;
    expect(assignment).toMatchObject({
      block: 'w0',
      index: 0,
      size: 10,
      token: 1,
      attempt: 1,
      leaseExpires: 61_000,
    });
    expect(ledger.nextToken).toBe(2);
    expect(unassigned(ledger).toString()).toBe('10-24');
  });

  it('gives the last block only what is left', () => {
    const l = given(emptyLedger(25), 'w0', 'w1');
    expect(assign(l, 'w2', policy, 0)!.assignment).toMatchObject({ index: 20, size: 5 });
  });

  it('serves the retry pool before fresh items, counting the attempt', () => {
    let l = given(emptyLedger(100), 'w0');
    l = applyReport(l, 'w0', report(1, '0-4', '5-9', { complete: true }), policy, 0).ledger;
    const { assignment } = assign(l, 'w1', policy, 0)!;
    expect(assignment).toMatchObject({ index: 5, size: 5, attempt: 2 });
  });

  it('gives nothing to a block that already holds a range', () => {
    expect(assign(given(emptyLedger(100), 'w0'), 'w0', policy, 0)).toBeUndefined();
  });

  it('gives nothing when every item is completed, failed or held', () => {
    expect(assign(given(emptyLedger(10), 'w0'), 'w1', policy, 0)).toBeUndefined();
  });
});

describe('applyReport', () => {
  it('folds done items into completed and keeps the range while the worker works', () => {
    const l = applyReport(given(emptyLedger(100), 'w0'), 'w0', report(1, '0-3'), policy, 5).ledger;
    expect(l.completed.toString()).toBe('0-3');
    expect(liveItems(l.assignments.get('w0')!).toString()).toBe('4-9');
  });

  it.each([
    { name: 'from the renewTime, however late the report is folded', renewedAt: 3_000, lease: 63_000 },
    { name: 'never from a renewTime later than our own clock', renewedAt: 99_000, lease: 65_000 },
    { name: 'not at all without a renewTime', renewedAt: undefined, lease: 60_000 },
  ])('renews the lease $name', ({ renewedAt, lease }) => {
    const r = { ...report(1, '0-3'), renewedAt };
    const l = applyReport(given(emptyLedger(100), 'w0'), 'w0', r, policy, 5_000).ledger;
    expect(l.assignments.get('w0')!.leaseExpires).toBe(lease);
  });

  it('is idempotent: the same cumulative report twice changes nothing more', () => {
    const once = applyReport(given(emptyLedger(100), 'w0'), 'w0', report(1, '0-3', '4'), policy, 0).ledger;
    const twice = applyReport(once, 'w0', report(1, '0-3', '4'), policy, 0).ledger;
    expect(toStatus(twice, 'w')).toEqual(toStatus(once, 'w'));
  });

  it('sends failed items to the retry pool at once, counting the attempt', () => {
    const l = applyReport(given(emptyLedger(100), 'w0'), 'w0', report(1, '0-3', '4-6'), policy, 0).ledger;
    expect(l.retry.get(1)?.toString()).toBe('4-6');
    expect(liveItems(l.assignments.get('w0')!).toString()).toBe('7-9');
  });

  it('ignores a report with a stale token', () => {
    const l = given(emptyLedger(100), 'w0');
    const res = applyReport(l, 'w0', report(7, '0-9', '', { complete: true }), policy, 0);
    expect(res.outcome).toBe('stale');
    expect(res.ledger).toBe(l);
  });

  it('ignores reported items outside the assigned range', () => {
    const l = applyReport(given(emptyLedger(100), 'w0'), 'w0', report(1, '0-50'), policy, 0).ledger;
    expect(l.completed.toString()).toBe('0-9');
  });

  it('ends the assignment on complete; unreported items cost the attempt', () => {
    const l = applyReport(
      given(emptyLedger(100), 'w0'),
      'w0',
      report(1, '0-7', '', { complete: true }),
      policy,
      0,
    ).ledger;
    expect(l.assignments.has('w0')).toBe(false);
    expect(l.retry.get(1)?.toString()).toBe('8-9');
  });

  it('on release, gives back unreported items without costing an attempt', () => {
    const l = applyReport(
      given(emptyLedger(100), 'w0'),
      'w0',
      report(1, '0-3', '', { release: true }),
      policy,
      0,
    ).ledger;
    expect(l.assignments.size).toBe(0);
    expect(l.retry.size).toBe(0);
    expect(unassigned(l).toString()).toBe('4-99');
  });

  it('marks an item failed after maxAttempts failed attempts', () => {
    let l = emptyLedger(1);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { ledger, assignment } = assign(l, 'w0', policy, 0)!;
      expect(assignment.attempt).toBe(attempt);
      l = applyReport(ledger, 'w0', report(assignment.token, '', '0', { complete: true }), policy, 0).ledger;
    }
    expect(l.failed.toString()).toBe('0');
    expect(isFinished(l)).toBe(true);
    expect(assign(l, 'w0', policy, 0)).toBeUndefined();
  });
});

describe('next ranges (double buffering)', () => {
  const withNext = (l: Ledger, block = 'w0') => assignNext(given(l, block), block, policy)!.ledger;
  /** The switch: the report on the next range that carries the final report on the current one. */
  const switchTo = (next: number, finished: number, done: string, failed = '') => ({
    ...report(next),
    generation: 2,
    finished: { token: finished, done: s(done), failed: s(failed) },
  });

  it('gives a working Block the range after the ones out, with its own token, never started', () => {
    const l = withNext(emptyLedger(100));
    expect(l.next.get('w0')).toMatchObject({ index: 10, size: 10, token: 2, attempt: 1 });
    expect(unassigned(l).toString()).toBe('20-99');
  });

  it('gives no next range to a Block without a range, nor a second one', () => {
    expect(assignNext(emptyLedger(100), 'w0', policy)).toBeUndefined();
    expect(assignNext(withNext(emptyLedger(100)), 'w0', policy)).toBeUndefined();
  });

  it('on the switch, completes the finished range and makes the next one current, leased from now', () => {
    const { ledger: l, outcome } = applyReport(
      withNext(emptyLedger(100)),
      'w0',
      switchTo(2, 1, '0-8', '9'),
      policy,
      5_000,
    );
    expect(outcome).toBe('applied');
    expect(l.completed.toString()).toBe('0-8');
    expect(l.retry.get(1)?.toString()).toBe('9');
    expect(l.assignments.get('w0')).toMatchObject({ index: 10, token: 2, leaseExpires: 65_000 });
    expect(l.next.has('w0')).toBe(false);
  });

  it('folds what the switch report says of the new range too', () => {
    const r = { ...switchTo(2, 1, '0-9'), done: s('10-12') };
    const l = applyReport(withNext(emptyLedger(100)), 'w0', r, policy, 0).ledger;
    expect(l.completed.toString()).toBe('0-12');
    expect(l.assignments.get('w0')!.reported.toString()).toBe('10-12');
  });

  it('ignores a report on the next range that does not end the current one', () => {
    const l = withNext(emptyLedger(100));
    expect(applyReport(l, 'w0', report(2, '10-12'), policy, 0)).toEqual({ ledger: l, outcome: 'stale' });
    expect(applyReport(l, 'w0', switchTo(2, 7, '0-9'), policy, 0)).toEqual({ ledger: l, outcome: 'stale' });
  });

  it('ignores a switch written before its next range was handed out: tokens are a counter, so guessable', () => {
    const l = assignNext(given(emptyLedger(100), 'w0'), 'w0', policy, { generation: 2 })!.ledger;
    expect(applyReport(l, 'w0', switchTo(2, 1, '0-9'), policy, 0)).toEqual({ ledger: l, outcome: 'stale' });
    expect(applyReport(l, 'w0', { ...switchTo(2, 1, '0-9'), generation: 3 }, policy, 0).outcome).toBe(
      'applied',
    );
  });

  it('after a complete report, makes the next range current: the worker had not seen it yet', () => {
    const l = applyReport(
      withNext(emptyLedger(100)),
      'w0',
      report(1, '0-9', '', { complete: true }),
      policy,
      0,
    ).ledger;
    expect(l.assignments.get('w0')).toMatchObject({ index: 10, token: 2 });
    // Its switch report, written before it saw that, is then an ordinary report on the range.
    expect(applyReport(l, 'w0', switchTo(2, 1, '0-9'), policy, 0).outcome).toBe('applied');
  });

  it('gives back a next range untouched when its worker stops, dies or loses its lease', () => {
    const fresh = withNext(emptyLedger(100));
    const released = applyReport(fresh, 'w0', report(1, '0-3', '', { release: true }), policy, 0).ledger;
    expect(unassigned(released).toString()).toBe('4-99');
    const dead = reclaim(fresh, 'w0', policy);
    expect(dead.retry.get(1)?.toString()).toBe('0-9');
    expect(unassigned(dead).toString()).toBe('10-99');
    expect(expireLeases(fresh, policy, 60_000).ledger).toEqual(dead);
  });

  it('keeps the attempts a retried next range had used when it goes back', () => {
    const dead = ['w0', 'w1'].reduce(
      (acc, b) => reclaim(acc, b, policy),
      given(emptyLedger(100), 'w0', 'w1'),
    );
    const l = withNext(dead, 'w2');
    expect(l.assignments.get('w2')).toMatchObject({ index: 0, attempt: 2 });
    expect(l.next.get('w2')).toMatchObject({ index: 10, attempt: 2 });
    const back = reclaim(l, 'w2', policy);
    expect(back.retry.get(2)?.toString()).toBe('0-9');
    expect(back.retry.get(1)?.toString()).toBe('10-19');
  });

  it('goes on with the next range after a release that says it goes on', () => {
    const l = applyReport(
      withNext(emptyLedger(100)),
      'w0',
      report(1, '0-3', '', { release: true, goOn: true }),
      policy,
      0,
    ).ledger;
    expect(l.assignments.get('w0')).toMatchObject({ index: 10, token: 2 });
    expect(unassigned(l).toString()).toBe('4-9,20-99');
  });

  it('survives a restart: the next ranges are in the status', () => {
    const l = withNext(emptyLedger(100));
    expect(fromStatus(100, JSON.parse(JSON.stringify(toStatus(l, 'w'))), 'w').next).toEqual(l.next);
  });
});

describe("a next range started early (a secondary Worklist, while its range's last items run)", () => {
  /** w0 works on 0-9 (token 1, generation 0) and has 10-19 next (token 2). */
  const withNext = () => assignNext(given(emptyLedger(100), 'w0'), 'w0', policy)!.ledger;
  const started = (l: Ledger, extra: Partial<Report> = {}) =>
    applyReport(l, 'w0', { ...report(1, '0-3'), generation: 1, startedNext: 2, ...extra }, policy, 0).ledger;

  it("is marked started on its worker's word, in a report on the range before it", () => {
    const l = started(withNext());
    expect(l.next.get('w0')).toMatchObject({ index: 10, token: 2, started: true });
    expect(l.completed.toString()).toBe('0-3');
  });

  it('is not marked by a word about another range, or written before it was handed out', () => {
    expect(started(withNext(), { startedNext: 3 }).next.get('w0')?.started).toBeUndefined();
    const late = assignNext(given(emptyLedger(100), 'w0'), 'w0', policy, { generation: 2 })!.ledger;
    expect(started(late, { generation: 2 }).next.get('w0')?.started).toBeUndefined();
    expect(started(late, { generation: 3 }).next.get('w0')?.started).toBe(true);
  });

  it('stays its own when its worker answers an ask to yield: only the tail of the range before it goes back', () => {
    const l = askToYield(started(withNext()), 'w0', 10)!;
    // Nothing left to give: the ask is answered by the mark itself.
    expect(asked(l, l.assignments.get('w0')!)).toBe(false);
    const mid = askToYield(started(withNext()), 'w0', 6)!;
    const after = applyReport(
      mid,
      'w0',
      { ...report(1, '0-3'), generation: 2, startedNext: 2, yieldFrom: 7 },
      policy,
      0,
    ).ledger;
    expect(after.assignments.get('w0')).toMatchObject({ index: 0, size: 7, token: 1 });
    expect(after.next.get('w0')).toMatchObject({ index: 10, token: 2, started: true });
    expect(unassigned(after).toString()).toBe('7-9,20-99');
  });

  it('becomes the range its Block works on when its worker yields all of the range before it', () => {
    const l = askToYield(started(withNext(), { done: RangeSet.EMPTY }), 'w0', 0)!;
    const after = applyReport(
      l,
      'w0',
      { ...report(1), generation: 2, startedNext: 2, yieldFrom: 0 },
      policy,
      0,
    ).ledger;
    expect(after.assignments.get('w0')).toEqual(expect.objectContaining({ index: 10, token: 2 }));
    expect(after.assignments.get('w0')!.started).toBeUndefined();
    expect(after.next.has('w0')).toBe(false);
    expect(unassigned(after).toString()).toBe('0-9,20-99');
  });

  it('goes back with the range before it when its worker dies, loses its lease or stops, costing nothing: most of it never ran', () => {
    const l = started(withNext());
    // The current range's unreported items cost their attempt, as always; the started range not.
    expect(reclaim(l, 'w0', policy).retry.get(1)?.toString()).toBe('4-9');
    expect(unassigned(reclaim(l, 'w0', policy)).toString()).toBe('10-99');
    expect(expireLeases(l, policy, 60_000).ledger).toEqual(reclaim(l, 'w0', policy));
    const released = applyReport(
      l,
      'w0',
      { ...report(1, '0-5', '', { release: true }), generation: 2 },
      policy,
      0,
    );
    expect(released.ledger.retry.size).toBe(0);
    expect(unassigned(released.ledger).toString()).toBe('6-99');
  });

  it('becomes the range its Block works on after a release that goes on (an idle secondary giving both back in turn)', () => {
    const l = applyReport(
      started(withNext()),
      'w0',
      { ...report(1, '0-5', '', { release: true, goOn: true }), generation: 2 },
      policy,
      0,
    ).ledger;
    expect(l.assignments.get('w0')).toEqual(expect.objectContaining({ index: 10, token: 2 }));
    expect(unassigned(l).toString()).toBe('6-9,20-99');
  });

  it('is switched to as any next range, with what its worker did of it so far', () => {
    const r = {
      ...report(2, '10-14'),
      generation: 2,
      finished: { token: 1, done: s('0-9'), failed: RangeSet.EMPTY },
    };
    const l = applyReport(started(withNext()), 'w0', r, policy, 0).ledger;
    expect(l.completed.toString()).toBe('0-14');
    expect(l.assignments.get('w0')).toEqual(expect.objectContaining({ index: 10, token: 2 }));
    expect(l.assignments.get('w0')!.started).toBeUndefined();
  });

  it('survives a restart: the mark is in the status', () => {
    const l = started(withNext());
    expect(fromStatus(100, JSON.parse(JSON.stringify(toStatus(l, 'w'))), 'w').next).toEqual(l.next);
  });
});

describe('reclaim and leases', () => {
  it('returns what a dead worker had not reported, costing the attempt', () => {
    let l = applyReport(given(emptyLedger(100), 'w0'), 'w0', report(1, '0-5'), policy, 0).ledger;
    l = reclaim(l, 'w0', policy);
    expect(l.completed.toString()).toBe('0-5');
    expect(l.retry.get(1)?.toString()).toBe('6-9');
  });

  it('takes back ranges whose lease ran out, and only those', () => {
    let l = given(emptyLedger(100), 'w0');
    l = assign(l, 'w1', policy, 30_000)!.ledger;
    const res = expireLeases(l, policy, 60_000);
    expect(res.expired).toEqual(['w0']);
    expect([...res.ledger.assignments.keys()]).toEqual(['w1']);
  });
});

// The invariants of the design, after every step of random histories in which workers take,
// report (on time, late, twice, with stale tokens), release, die, leases expire, and the
// controller crashes (its state is rebuilt from the status it last wrote).
describe('ledger invariants under random histories', () => {
  const TOTAL = 57;
  const blocks = ['w0', 'w1', 'w2', 'w3'];
  const offsets = fc.array(fc.nat(TOTAL - 1), { maxLength: 8 });
  const op = fc.oneof(
    fc.record({ kind: fc.constant('assign' as const), block: fc.constantFrom(...blocks) }),
    fc.record({ kind: fc.constant('assignNext' as const), block: fc.constantFrom(...blocks) }),
    fc.record({
      kind: fc.constant('switch' as const),
      block: fc.constantFrom(...blocks),
      stale: fc.boolean(),
      done: offsets,
      failed: offsets,
    }),
    fc.record({
      kind: fc.constant('report' as const),
      block: fc.constantFrom(...blocks),
      stale: fc.boolean(),
      done: offsets,
      failed: offsets,
      end: fc.constantFrom(undefined, 'complete', 'release'),
    }),
    fc.record({ kind: fc.constant('reclaim' as const), block: fc.constantFrom(...blocks) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(90_000) }),
    fc.record({ kind: fc.constant('crash' as const) }),
  );
  const points = (xs: number[]) => RangeSet.of(...xs.map((x) => ({ start: x, end: x })));

  const comparable = (l: Ledger) => ({
    completed: l.completed.toString(),
    failed: l.failed.toString(),
    nextToken: l.nextToken,
    assignments: [...l.assignments.values()]
      .map((a) => ({ ...a, reported: a.reported.toString() }))
      .sort((x, y) => x.index - y.index),
    next: [...l.next.values()]
      .map((a) => ({ ...a, reported: a.reported.toString() }))
      .sort((x, y) => x.index - y.index),
    retry: [...l.retry.entries()].map(([k, v]) => [k, v.toString()]).sort(),
  });

  function checkPartition(l: Ledger): void {
    const parts = [...places(l), unassigned(l)];
    expect(parts.reduce((n, p) => n + p.size, 0)).toBe(TOTAL);
    const all = parts.reduce((acc, p) => acc.union(p), RangeSet.EMPTY);
    expect(all.toString()).toBe(`0-${TOTAL - 1}`);
  }

  it('keeps every item in exactly one place, never loses or repeats completed work, bounds attempts', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 60 }), (ops) => {
        let l = emptyLedger(TOTAL);
        let now = 0;
        for (const o of ops) {
          const completedBefore = l.completed;
          switch (o.kind) {
            case 'assign': {
              const res = assign(l, o.block, policy, now);
              if (res) {
                // Invariant 2: a completed item is never handed out again.
                expect(
                  RangeSet.span(
                    res.assignment.index,
                    res.assignment.index + res.assignment.size - 1,
                  ).intersect(l.completed).isEmpty,
                ).toBe(true);
                l = res.ledger;
              }
              break;
            }
            case 'report': {
              const a = l.assignments.get(o.block);
              // Stale: the token of an earlier assignment (the usual case after a reclaim), or a made-up one.
              const token = a && !o.stale ? a.token : a && a.token > 1 ? a.token - 1 : (a?.token ?? 0) + 1000;
              const res = applyReport(
                l,
                o.block,
                {
                  token,
                  done: points(o.done),
                  failed: points(o.failed),
                  complete: o.end === 'complete',
                  release: o.end === 'release',
                },
                policy,
                now,
              );
              // Invariant 4: a stale report changes nothing.
              if (token !== a?.token) expect(res.ledger).toBe(l);
              l = res.ledger;
              break;
            }
            case 'assignNext': {
              const res = assignNext(l, o.block, policy);
              if (res) {
                expect(res.assignment.attempt).toBeLessThanOrEqual(policy.maxAttempts);
                l = res.ledger;
              }
              break;
            }
            case 'switch': {
              // The worker finished its range and started its next one; or (stale) a worker
              // that lost both writes the same switch late.
              const a = l.assignments.get(o.block);
              const queued = l.next.get(o.block);
              const res = applyReport(
                l,
                o.block,
                {
                  token: (queued?.token ?? 0) + (o.stale ? 1000 : 0),
                  done: RangeSet.EMPTY,
                  failed: RangeSet.EMPTY,
                  finished: { token: a?.token ?? 0, done: points(o.done), failed: points(o.failed) },
                },
                policy,
                now,
              );
              if (!queued || o.stale) expect(res.ledger).toBe(l);
              else {
                // The next range is the Block's range now, nothing of it reported.
                expect(res.ledger.assignments.get(o.block)).toMatchObject({
                  token: queued.token,
                  index: queued.index,
                });
                expect(res.ledger.next.has(o.block)).toBe(false);
              }
              l = res.ledger;
              break;
            }
            case 'reclaim':
              l = reclaim(l, o.block, policy);
              break;
            case 'tick':
              now += o.ms;
              l = expireLeases(l, policy, now).ledger;
              break;
            case 'crash': {
              // Invariant 5: the status alone is enough to continue, exactly where it was.
              const rebuilt = fromStatus(TOTAL, JSON.parse(JSON.stringify(toStatus(l, 'w'))), 'w');
              expect(comparable(rebuilt)).toEqual(comparable(l));
              l = rebuilt;
              break;
            }
          }
          checkPartition(l);
          expect(completedBefore.subtract(l.completed).isEmpty).toBe(true);
          for (const attempts of l.retry.keys()) expect(attempts).toBeLessThan(policy.maxAttempts);
          for (const a of l.assignments.values()) expect(a.attempt).toBeLessThanOrEqual(policy.maxAttempts);
          // A next range only behind a range being worked on.
          for (const block of l.next.keys()) expect(l.assignments.has(block)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finishes every list when workers keep taking and completing blocks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 50 }), (total, blockSize) => {
        const p = { ...policy, blockSize };
        let l = emptyLedger(total);
        let rounds = 0;
        for (;;) {
          const res = assign(l, 'w', p, 0);
          if (!res) break;
          const { index, size, token } = res.assignment;
          l = applyReport(
            res.ledger,
            'w',
            { token, done: RangeSet.span(index, index + size - 1), failed: RangeSet.EMPTY, complete: true },
            p,
            0,
          ).ledger;
          rounds++;
        }
        expect(isFinished(l)).toBe(true);
        expect(l.completed.size).toBe(total);
        expect(rounds).toBe(Math.ceil(total / blockSize));
      }),
    );
  });
});

describe('putBack', () => {
  it('makes completed and failed items fresh work again, leaving held and retried ones alone', () => {
    const l: Ledger = {
      ...emptyLedger(100),
      completed: RangeSet.parse('0-49'),
      failed: RangeSet.parse('60,61'),
      retry: new Map([[1, RangeSet.parse('70-79')]]),
    };
    const res = putBack(l, RangeSet.parse('40-75'));
    expect(res.putBack.toString()).toBe('40-49,60-61');
    expect(res.ledger.completed.toString()).toBe('0-39');
    expect(res.ledger.failed.toString()).toBe('');
    expect(unassigned(res.ledger).ranges[0]).toEqual({ start: 40, end: 69 }); // 50-59, 62-69 were never out
  });
});

describe('a ledger read back from a status', () => {
  // A Worklist of 1,000 items; w0 holds 100-109, 120-129 is in the retry pool.
  const held = assign({ ...emptyLedger(1000), scope: s('100-149') }, 'w0', policy, 0)!.ledger;
  const stored = {
    ...JSON.parse(JSON.stringify(toStatus({ ...held, retry: new Map([[1, s('120-129')]]) }, 'w'))),
    upstream: { working: { token: 7, index: 100, size: 50 }, next: { token: 9, index: 300, size: 50 } },
  };

  it.each([
    {
      name: 'of a Worklist of its own items: all of them (parent ranges in its status or not)',
      status: stored,
      secondary: false,
      pool: 990,
      scope: undefined,
    },
    {
      name: 'of a secondary: only the parent ranges its status says it works on',
      status: stored,
      secondary: true,
      pool: 90,
      scope: '100-149,300-349',
    },
    {
      name: 'of a secondary working on no parent range: nothing',
      status: { ...stored, upstream: {} },
      secondary: true,
      pool: 0,
      scope: '',
    },
    {
      name: 'of a secondary with no status yet: nothing',
      status: undefined,
      secondary: true,
      pool: 0,
      scope: '',
    },
  ])('$name is its pool', ({ status, secondary, pool, scope }) => {
    const l = fromStatus(1000, status, 'w', secondary);
    expect(poolSize(l)).toBe(pool);
    expect(l.scope?.toString()).toBe(scope);
  });

  it.each([
    {
      name: 'a secondary (its source is a Worklist)',
      source: { worklist: { name: 'top', namespace: 'a' } },
      pool: 90,
    },
    { name: 'a Worklist of a range', source: { range: { start: 0, end: 999 } }, pool: 990 },
  ])('is scoped by ledgerOf as its spec says: $name', ({ source, pool }) => {
    const w = {
      metadata: { name: 'w' },
      spec: { source, blockSize: 10 },
      status: { ...stored, totalItems: 1000 },
    };
    expect(poolSize(ledgerOf(w as unknown as Worklist))).toBe(pool);
  });
});
