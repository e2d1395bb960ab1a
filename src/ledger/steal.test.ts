import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyReport,
  askToYield,
  asked,
  assign,
  assignNext,
  emptyLedger,
  fromStatus,
  heldBy,
  liveItems,
  places,
  poolSize,
  reclaim,
  toStatus,
  unassigned,
  type Ledger,
  type Policy,
  type Report,
} from './ledger.js';
import { RangeSet } from './range-set.js';
import { planSteals, STEAL_AFTER_MS, type Splittable } from './steal.js';

const policy: Policy = { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 };
const s = (text: string) => RangeSet.parse(text);
const report = (token: number, done = '', extra: Partial<Report> = {}): Report => ({
  token,
  done: s(done),
  failed: RangeSet.EMPTY,
  ...extra,
});
const given = (l: Ledger, ...blocks: string[]) =>
  blocks.reduce((acc, b) => assign(acc, b, policy, 0)!.ledger, l);
const withNext = (l: Ledger, block: string) => assignNext(l, block, policy)!.ledger;
/** Every item handed out: 20 items, w0 holds 0-9 (token 1) and w1 10-19 (token 2). */
const allOut = () => given(emptyLedger(20), 'w0', 'w1');
/** Every worker runs items one by one: any running range can be split. */
const every = () => true;

describe('asking a worker to yield', () => {
  it('changes no hands: the items stay its until it answers', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    expect(l.assignments.get('w0')).toMatchObject({ index: 0, size: 10, yieldFrom: 5 });
    expect(heldBy(l, 'w0').toString()).toBe('0-9');
    expect(asked(l, l.assignments.get('w0')!)).toBe(true);
  });

  it('asks a range once, and asks nothing of a Block without one', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    expect(askToYield(l, 'w0', 7)).toBeUndefined();
    expect(askToYield(l, 'w9', 7)).toBeUndefined();
  });

  it('gives a Block asked to yield no next range', () => {
    const l = askToYield(given(emptyLedger(40), 'w0'), 'w0', 10)!;
    expect(assignNext(l, 'w0', policy)).toBeUndefined();
  });
});

describe("folding a worker's answer", () => {
  it('ends its range where it yielded; the tail goes back costing no attempt', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    const { ledger, outcome } = applyReport(l, 'w0', report(1, '0-2', { yieldFrom: 7 }), policy, 0);
    expect(outcome).toBe('applied');
    expect(ledger.assignments.get('w0')).toMatchObject({ index: 0, size: 7, yieldFrom: 7 });
    expect(liveItems(ledger.assignments.get('w0')!).toString()).toBe('3-6');
    expect(unassigned(ledger).toString()).toBe('7-9');
    expect(ledger.completed.toString()).toBe('0-2');
    expect(asked(ledger, ledger.assignments.get('w0')!)).toBe(false);
  });

  it('gives back its next range whole, even when it keeps all of its current one', () => {
    const l = askToYield(withNext(given(emptyLedger(40), 'w0'), 'w0'), 'w0', 10)!;
    expect(asked(l, l.assignments.get('w0')!)).toBe(true);
    const { ledger } = applyReport(l, 'w0', report(1, '', { yieldFrom: 10 }), policy, 0);
    expect(ledger.next.has('w0')).toBe(false);
    expect(ledger.assignments.get('w0')).toMatchObject({ index: 0, size: 10 });
    expect(unassigned(ledger).toString()).toBe('10-39');
  });

  it('keeps the attempts retried items had used when they go back', () => {
    const retried = assign(reclaim(given(emptyLedger(10), 'w0'), 'w0', policy), 'w1', policy, 0)!.ledger;
    const l = askToYield(retried, 'w1', 5)!;
    const token = l.assignments.get('w1')!.token;
    const { ledger } = applyReport(l, 'w1', report(token, '', { yieldFrom: 5 }), policy, 0);
    expect(ledger.retry.get(1)?.toString()).toBe('5-9');
  });

  it('folds the rest of the report on what it kept, a complete one included', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    const r = report(1, '0-4', { yieldFrom: 5, complete: true, generation: 1 });
    const { ledger } = applyReport(l, 'w0', r, policy, 0);
    expect(ledger.assignments.has('w0')).toBe(false);
    expect(ledger.completed.toString()).toBe('0-4');
    expect(unassigned(ledger).toString()).toBe('5-9');
  });

  it('changes nothing more when the same answer is read again', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    const once = applyReport(l, 'w0', report(1, '', { yieldFrom: 6 }), policy, 0).ledger;
    expect(applyReport(once, 'w0', report(1, '', { yieldFrom: 6 }), policy, 0).ledger).toEqual(once);
  });

  it('never takes back what its worker reported, whatever offset the answer names', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    const { ledger } = applyReport(l, 'w0', report(1, '0-8', { yieldFrom: 3 }), policy, 0);
    expect(ledger.completed.toString()).toBe('0-2');
    expect(unassigned(ledger).toString()).toBe('3-9');
    expect(ledger.assignments.get('w0')!.size).toBe(3);
    const all = applyReport(l, 'w0', report(1, '', { yieldFrom: 0 }), policy, 0).ledger;
    expect(all.assignments.has('w0')).toBe(false);
    expect(unassigned(all).toString()).toBe('0-9');
  });

  it('ignores an answer with a stale token', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    expect(applyReport(l, 'w0', report(7, '', { yieldFrom: 5 }), policy, 0).outcome).toBe('stale');
  });

  it('drops the ask with the range when the worker switched before it saw it', () => {
    const l = askToYield(withNext(given(emptyLedger(40), 'w0'), 'w0'), 'w0', 10)!;
    const sw: Report = { ...report(2), finished: { token: 1, done: s('0-9'), failed: RangeSet.EMPTY } };
    const { ledger } = applyReport(l, 'w0', sw, policy, 0);
    expect(ledger.assignments.get('w0')).toMatchObject({ token: 2, index: 10 });
    expect(ledger.assignments.get('w0')!.yieldFrom).toBeUndefined();
  });

  it('survives a restart: the ask and the answer are in the status', () => {
    const l = askToYield(allOut(), 'w0', 5)!;
    const back = fromStatus(20, JSON.parse(JSON.stringify(toStatus(l, 'w'))), 'w');
    expect(back.assignments).toEqual(l.assignments);
  });
});

/** The asks of a pass that left `idle` Blocks waiting. */
const steals = (l: Ledger, idle: number, splittable: Splittable, leaseMs: number, now: number) =>
  planSteals(l, { idle, pool: poolSize(l) }, splittable, leaseMs, now).asks;

describe('planSteals', () => {
  const old = STEAL_AFTER_MS;
  const at = policy.leaseMs - policy.leaseMs + old; // every range here was handed out at 0

  it('asks nothing while items wait in the pool, or no Block is idle', () => {
    const l = given(emptyLedger(40), 'w0', 'w1');
    expect(steals(l, 1, every, policy.leaseMs, at)).toEqual([]);
    expect(steals(allOut(), 0, every, policy.leaseMs, at)).toEqual([]);
  });

  it('asks nothing of a range younger than STEAL_AFTER_MS: it likely ends before its tail could move', () => {
    expect(steals(allOut(), 1, every, policy.leaseMs, old - 1)).toEqual([]);
  });

  it('asks for the second half of what the worker has not reported, the biggest first', () => {
    const l = applyReport(allOut(), 'w0', report(1, '0-5', { generation: 1 }), policy, 0).ledger;
    expect(steals(l, 1, every, policy.leaseMs, at)).toEqual([{ block: 'w1', from: 15, items: 5 }]);
    expect(steals(l, 2, every, policy.leaseMs, at)).toEqual([
      { block: 'w1', from: 15, items: 5 },
      { block: 'w0', from: 8, items: 2 },
    ]);
  });

  it("takes a Block's next range whole before any part of a running range", () => {
    const l = withNext(given(emptyLedger(25), 'w0', 'w1'), 'w0');
    expect(steals(l, 1, every, policy.leaseMs, at)).toEqual([{ block: 'w0', from: 10, items: 5 }]);
  });

  it('makes one ask per idle Block not covered by an ask in flight, and asks a range once', () => {
    const l = askToYield(allOut(), 'w1', 15)!;
    expect(steals(l, 1, every, policy.leaseMs, at)).toEqual([]);
    expect(steals(l, 2, every, policy.leaseMs, at)).toEqual([{ block: 'w0', from: 5, items: 5 }]);
    const answered = applyReport(l, 'w1', report(2, '', { yieldFrom: 20 }), policy, 0).ledger;
    expect(steals(answered, 1, every, policy.leaseMs, at)).toEqual([{ block: 'w0', from: 5, items: 5 }]);
    expect(steals(answered, 2, every, policy.leaseMs, at)).toHaveLength(1);
  });

  it('asks only for the next range of a Block whose worker runs a range as one command (--per-block)', () => {
    const l = withNext(given(emptyLedger(25), 'w0', 'w1'), 'w0');
    const perBlock = () => false;
    expect(steals(l, 2, perBlock, policy.leaseMs, at)).toEqual([{ block: 'w0', from: 10, items: 5 }]);
  });

  it('says when the youngest range worth asking is old enough, only while an idle Block still waits', () => {
    const plan = (idle: number, now: number) =>
      planSteals(allOut(), { idle, pool: 0 }, every, policy.leaseMs, now);
    expect(plan(1, 500)).toEqual({ asks: [], wakeInMs: old - 500 });
    expect(plan(1, at)).toEqual({ asks: [{ block: 'w0', from: 5, items: 5 }] });
    expect(plan(0, 500)).toEqual({ asks: [] });
    expect(planSteals(allOut(), { idle: 1, pool: 1 }, every, policy.leaseMs, 500)).toEqual({ asks: [] });
  });

  it('asks nothing of a range with one item left', () => {
    const l = applyReport(given(emptyLedger(10), 'w0'), 'w0', report(1, '0-8', { generation: 1 }), policy, 0);
    expect(steals(l.ledger, 1, every, policy.leaseMs, at)).toEqual([]);
  });
});

// The race tail stealing must win: a worker reads its Block only now and then, so it may switch
// to its next range, or run on, while an ask it has not seen waits in the ledger; the controller
// may crash at any time. Workers here keep their word (they yield only what they did not start),
// and act only on the last status they read (a read that shows the range gone stops them).
// Whatever the order, an item a live worker started and has not reported stays its own: never in
// the pool, never another Block's.
describe('tail stealing under random histories', () => {
  const TOTAL = 33;
  const blocks = ['w0', 'w1', 'w2'];
  const block = fc.constantFrom(...blocks);
  const often = (arbitrary: fc.Arbitrary<unknown>) => ({ arbitrary, weight: 4 });
  const op = fc.oneof(
    often(fc.record({ kind: fc.constant('assign' as const), block })),
    often(fc.record({ kind: fc.constant('assignNext' as const), block })),
    often(fc.record({ kind: fc.constant('ask' as const), block, from: fc.nat(TOTAL) })),
    often(fc.record({ kind: fc.constant('steal' as const), idle: fc.integer({ min: 1, max: 3 }) })),
    often(fc.record({ kind: fc.constant('read' as const), block })),
    often(fc.record({ kind: fc.constant('start' as const), block, n: fc.integer({ min: 1, max: 4 }) })),
    fc.record({ kind: fc.constant('report' as const), block }),
    often(fc.record({ kind: fc.constant('answer' as const), block })),
    often(fc.record({ kind: fc.constant('finish' as const), block })),
    fc.record({ kind: fc.constant('die' as const), block }),
    fc.record({ kind: fc.constant('crash' as const) }),
  ) as fc.Arbitrary<Op>;

  type Op =
    | { kind: 'assign' | 'assignNext' | 'read' | 'report' | 'answer' | 'finish' | 'die'; block: string }
    | { kind: 'ask'; block: string; from: number }
    | { kind: 'steal'; idle: number }
    | { kind: 'start'; block: string; n: number }
    | { kind: 'crash' };

  /** What a worker knows: the range it runs, what it started, its word, and its last read. */
  interface WorkerView {
    token?: number;
    index: number;
    end: number;
    /** Offsets started, in order from index: the first not started. */
    cursor: number;
    /** It promised to start nothing from here on, nor a next range. */
    yieldFrom?: number;
    /** The last read: an ask on its range, and the range after it. */
    seenAsk?: number;
    seenNext?: { token: number; index: number; size: number };
    /** On a switch: the final report on the range it finished, carried until folded. */
    finished?: { token: number; done: RangeSet };
  }

  it('never lets an item a live worker started go to the pool or to another Block', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 30, maxLength: 80 }), (ops) => {
        let l = emptyLedger(TOTAL);
        const views = new Map<string, WorkerView>(blocks.map((b) => [b, { index: 0, end: 0, cursor: 0 }]));
        const startedNow = (v: WorkerView) =>
          v.token === undefined || v.cursor <= v.index
            ? RangeSet.EMPTY
            : RangeSet.span(v.index, v.cursor - 1);
        // The item started last may still run: a report says the others are done.
        const doneNow = (v: WorkerView) =>
          v.token === undefined || v.cursor - 1 <= v.index
            ? RangeSet.EMPTY
            : RangeSet.span(v.index, v.cursor - 2);
        const reportOf = (v: WorkerView, done = doneNow(v)): Report => ({
          token: v.token!,
          done,
          failed: RangeSet.EMPTY,
          ...(v.yieldFrom !== undefined ? { yieldFrom: v.yieldFrom } : {}),
          ...(v.finished ? { finished: { ...v.finished, failed: RangeSet.EMPTY } } : {}),
        });
        /** Its Block still gives it the range: as current, or as next (a switch not yet folded). */
        const ours = (b: string, v: WorkerView) =>
          v.token !== undefined &&
          (l.assignments.get(b)?.token === v.token || l.next.get(b)?.token === v.token);
        let now = 0;
        for (const o of ops) {
          now += 500;
          switch (o.kind) {
            case 'assign':
              l = assign(l, o.block, policy, now)?.ledger ?? l;
              break;
            case 'assignNext':
              l = assignNext(l, o.block, policy)?.ledger ?? l;
              break;
            case 'ask':
              l = askToYield(l, o.block, o.from) ?? l;
              break;
            case 'steal':
              for (const ask of steals(l, o.idle, every, policy.leaseMs, now))
                l = askToYield(l, ask.block, ask.from)!;
              break;
            case 'read': {
              const v = views.get(o.block)!;
              const a = l.assignments.get(o.block);
              if (v.token === undefined && a) {
                views.set(o.block, {
                  token: a.token,
                  index: a.index,
                  end: a.index + a.size,
                  cursor: a.index,
                });
              } else if (a && a.token === v.token) {
                v.seenAsk = asked(l, a) ? a.yieldFrom : undefined;
                const queued = l.next.get(o.block);
                v.seenNext = queued && { token: queued.token, index: queued.index, size: queued.size };
              } else if (!ours(o.block, v)) {
                views.set(o.block, { index: 0, end: 0, cursor: 0 });
              }
              break;
            }
            case 'start': {
              // On its own word: the last read showed the range, or it switched on that read.
              const v = views.get(o.block)!;
              if (v.token === undefined) break;
              v.cursor = Math.min(v.cursor + o.n, v.yieldFrom ?? v.end, v.end);
              break;
            }
            case 'report': {
              const v = views.get(o.block)!;
              if (v.token !== undefined) l = applyReport(l, o.block, reportOf(v), policy, now).ledger;
              break;
            }
            case 'answer': {
              const v = views.get(o.block)!;
              if (v.token === undefined || v.seenAsk === undefined || v.yieldFrom !== undefined) break;
              v.yieldFrom = Math.min(Math.max(v.seenAsk, v.cursor), v.end);
              l = applyReport(l, o.block, reportOf(v), policy, now).ledger;
              break;
            }
            case 'finish': {
              const v = views.get(o.block)!;
              if (v.token === undefined || v.cursor < (v.yieldFrom ?? v.end)) break;
              if (v.seenNext && v.yieldFrom === undefined) {
                const finished = { token: v.token, done: startedNow(v) };
                const n = v.seenNext;
                views.set(o.block, {
                  token: n.token,
                  index: n.index,
                  end: n.index + n.size,
                  cursor: n.index,
                  finished,
                });
              } else {
                l = applyReport(
                  l,
                  o.block,
                  { ...reportOf(v, startedNow(v)), complete: true },
                  policy,
                  now,
                ).ledger;
                views.set(o.block, { index: 0, end: 0, cursor: 0 });
              }
              break;
            }
            case 'die':
              // Its range goes back (what it started may run again: it is no live worker's).
              l = reclaim(l, o.block, policy);
              views.set(o.block, { index: 0, end: 0, cursor: 0 });
              break;
            case 'crash':
              l = fromStatus(TOTAL, JSON.parse(JSON.stringify(toStatus(l, 'w'))), 'w');
              break;
          }
          for (const [b, v] of views) {
            const running = startedNow(v).subtract(l.completed).subtract(l.failed);
            expect(running.subtract(heldBy(l, b)).toString()).toBe('');
          }
          // The partition of DESIGN §3 holds through every ask and answer.
          expect([...places(l), unassigned(l)].reduce((n, p) => n + p.size, 0)).toBe(TOTAL);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
