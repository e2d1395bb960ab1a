import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Block, BlockSpecReport, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import {
  applyReport,
  askToYield,
  asked,
  assign,
  assignNext,
  emptyLedger,
  forgetLost,
  isFinished,
  liveItems,
  markLost,
  places,
  reclaim,
  toStatus,
  unassigned,
  type Ledger,
  type Policy,
} from './ledger.js';
import { RangeSet } from './range-set.js';
import {
  disown,
  parentPoolAfter,
  parentView,
  spanOf,
  upstreamStep,
  type ParentRange,
  type Upstream,
  type UpstreamOptions,
} from './upstream.js';

const s = (text: string) => RangeSet.parse(text);
const o: UpstreamOptions = { reportEveryMs: 5000, leaseMs: 60_000 };
const T = 1_000_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ready = (r: ParentRange, next?: ParentRange): BlockStatus => ({
  phase: 'Ready',
  index: r.index,
  size: r.size,
  token: r.token,
  ...(next ? { next } : {}),
});
const r1: ParentRange = { token: 7, index: 100, size: 50 };
const r2: ParentRange = { token: 9, index: 300, size: 50 };
/** A secondary's ledger over a parent of 1,000 items, with `completed` and `failed` done here. */
const ledger = (completed = '', failed = ''): Ledger => ({
  ...emptyLedger(1000),
  completed: s(completed),
  failed: s(failed),
});

describe('a secondary Worklist upstream', () => {
  it("adopts the parent's current range and hands out only its items", () => {
    const step = upstreamStep(ledger(), {}, { status: ready(r1) }, T, o);
    expect(step.upstream).toEqual({ working: r1 });
    expect(unassigned(step.ledger).toString()).toBe('100-149');
    // Nothing to say yet: a new Block is its own ask, and nothing of the range is done.
    expect(step.report).toMatchObject({ token: 7, done: '', failed: '' });
  });

  it('hands out nothing while the parent shows no range', () => {
    const step = upstreamStep(ledger(), {}, { status: { phase: 'Pending' } }, T, o);
    expect(step.upstream).toEqual({});
    expect(unassigned(step.ledger).isEmpty).toBe(true);
    expect(step.report).toBeUndefined();
    expect(step.drained).toBe(false);
  });

  it("reports progress upward with the parent's token, at most every reportEveryMs", () => {
    const mine: BlockSpecReport = { token: 7, done: '100-109', failed: '', renewTime: iso(T - 1000) };
    const soon = upstreamStep(ledger('100-119'), { working: r1 }, { status: ready(r1), report: mine }, T, o);
    expect(soon.report).toBeUndefined();
    expect(soon.wakeInMs).toBe(4000);
    const later = upstreamStep(
      ledger('100-119'),
      { working: r1 },
      { status: ready(r1), report: mine },
      T + 4000,
      o,
    );
    expect(later.report).toEqual({
      token: 7,
      done: '100-119',
      failed: '',
      renewTime: iso(T + 4000),
    });
  });

  it("renews the parent's lease at least every third of it, even with nothing new to say", () => {
    const mine: BlockSpecReport = { token: 7, done: '100-109', failed: '', renewTime: iso(T) };
    const at = (ms: number) =>
      upstreamStep(ledger('100-109'), { working: r1 }, { status: ready(r1), report: mine }, ms, o);
    expect(at(T + 19_999).report).toBeUndefined();
    expect(at(T + 19_999).wakeInMs).toBe(1);
    expect(at(T + 20_000).report).toMatchObject({ token: 7, renewTime: iso(T + 20_000) });
  });

  it('says a range is complete, at once, when every item of it is completed or failed here', () => {
    const mine: BlockSpecReport = { token: 7, done: '100-139', failed: '', renewTime: iso(T - 10) };
    const step = upstreamStep(
      ledger('0-5,100-139,141-149', '140'),
      { working: r1 },
      { status: ready(r1), report: mine },
      T,
      o,
    );
    expect(step.report).toEqual({
      token: 7,
      done: '100-139,141-149',
      failed: '140',
      complete: true,
      renewTime: iso(T),
    });
    // Until the parent folds it, nothing of it is handed out again and nothing new is there.
    expect(unassigned(step.ledger).isEmpty).toBe(true);
  });

  it('says outcomes too scattered for one report in parts: what the parent has not settled, complete only once the rest fits', () => {
    const scattered = ledger('100-109,111-119,121-129,131-149', '110,120,130');
    const small = { ...o, maxRanges: 2 };
    const first = upstreamStep(scattered, { working: r1 }, { status: ready(r1) }, T, small);
    expect(first.report).toMatchObject({ token: 7, done: '100-109,111-119', failed: '110,120' });
    expect(first.report?.complete).toBeUndefined();
    // The parent folded that report: the rest fits now, and the range is complete.
    const rest = upstreamStep(
      scattered,
      { working: r1 },
      { status: ready(r1), report: first.report, settled: s('100-120') },
      T,
      small,
    );
    expect(rest.report).toMatchObject({ token: 7, done: '121-129,131-149', failed: '130', complete: true });
  });

  it('takes no range while idle (no worker, or suspended), and gives back one the parent handed it, untouched', () => {
    const step = upstreamStep(ledger(), {}, { status: ready(r1) }, T, { ...o, idle: true });
    expect(step.upstream).toEqual({});
    expect(step.ledger.scope?.isEmpty).toBe(true);
    expect(step.report).toMatchObject({ token: 7, done: '', failed: '', release: true });
  });

  it('gives back the range it works on once idle and nothing of it is out: done and failed said, the rest released', () => {
    const idle = { ...o, idle: true };
    const out = assign(
      { ...ledger('100-109', '110'), scope: spanOf(r1) },
      'w0',
      { blockSize: 5, maxAttempts: 1, leaseMs: 60_000 },
      T,
    )!;
    // One of its own ranges is still out: it waits.
    const waiting = upstreamStep(out.ledger, { working: r1 }, { status: ready(r1) }, T, idle);
    expect(waiting.report?.release).toBeUndefined();
    const step = upstreamStep(ledger('100-109', '110'), { working: r1 }, { status: ready(r1) }, T, idle);
    expect(step.report).toMatchObject({ token: 7, done: '100-109', failed: '110', release: true });
    expect(step.report?.next).toBeUndefined();
  });

  it('asks for ranges again once its workers are back: a report that is no release', () => {
    const released: BlockSpecReport = { token: 7, done: '100-109', release: true, renewTime: iso(T) };
    const step = upstreamStep(ledger(), {}, { status: { phase: 'Released' }, report: released }, T + 10, o);
    expect(step.report).toMatchObject({ token: 7, done: '', failed: '' });
    expect(step.report?.release).toBeUndefined();
  });

  it("switches to the parent's next range in one write, carrying the final report on the finished one", () => {
    const step = upstreamStep(
      ledger('100-149'),
      { working: r1 },
      { status: ready(r1, r2), report: { token: 7, done: '100-119', renewTime: iso(T - 10) } },
      T,
      { ...o, rangeSize: 64 },
    );
    expect(step.report).toEqual({
      token: 9,
      done: '',
      failed: '',
      finished: { token: 7, done: '100-149', failed: '' },
      renewTime: iso(T),
      rangeSize: 64,
    });
    expect(step.upstream).toEqual({ working: r2, finished: r1 });
    expect(unassigned(step.ledger).toString()).toBe('300-349');
  });

  it('keeps the final report on the finished range in every report until the parent folded the switch', () => {
    const pending = upstreamStep(
      ledger('100-149,300-309'),
      { working: r2, finished: r1 },
      { status: ready(r1, r2), report: { token: 9, renewTime: iso(T - 6000) } },
      T,
      o,
    );
    expect(pending.report).toMatchObject({
      token: 9,
      done: '300-309',
      finished: { token: 7, done: '100-149', failed: '' },
    });
    const folded = upstreamStep(
      ledger('100-149,300-309'),
      { working: r2, finished: r1 },
      { status: ready(r2), report: pending.report },
      T + 6000,
      o,
    );
    expect(folded.upstream).toEqual({ working: r2 });
    expect(folded.report).toEqual({ token: 9, done: '300-309', failed: '', renewTime: iso(T + 6000) });
  });

  it('repairs a crash between its switch report and its own status: it works on the range its report switched to', () => {
    const report: BlockSpecReport = {
      token: 9,
      done: '',
      failed: '',
      finished: { token: 7, done: '100-149', failed: '' },
      renewTime: iso(T - 10),
    };
    const step = upstreamStep(ledger('100-149'), { working: r1 }, { status: ready(r1, r2), report }, T, o);
    expect(step.upstream).toEqual({ working: r2, finished: r1 });
    expect(unassigned(step.ledger).toString()).toBe('300-349');
    expect(step.report).toBeUndefined();
  });

  it('disowns a range the parent took back: its items leave the ledger, and our ranges on them are revoked', () => {
    let l: Ledger = { ...ledger('100-109,0-9', '110'), scope: RangeSet.span(100, 149) };
    l = assign(l, 'w0', { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 }, T)!.ledger;
    const step = upstreamStep(
      l,
      { working: r1 },
      { status: { phase: 'Lost', observedGeneration: 4 }, report: { token: 7, done: '100-109' } },
      T,
      o,
    );
    expect(step.upstream).toEqual({});
    expect(step.revoked).toEqual(['w0']);
    expect(step.ledger.completed.toString()).toBe('0-9');
    expect(step.ledger.failed.isEmpty).toBe(true);
    expect(step.ledger.assignments.size).toBe(0);
    // A Lost Block gets nothing until its holder writes to it again: it does.
    expect(step.report).toMatchObject({ token: 7, done: '100-109', renewTime: iso(T) });
  });

  it('keeps the items of a range it reported complete when the parent folds it, and adopts the range after it', () => {
    const r3: ParentRange = { token: 11, index: 500, size: 50 };
    const mine: BlockSpecReport = { token: 7, done: '100-149', failed: '', complete: true };
    const step = upstreamStep(ledger('100-149'), { working: r1 }, { status: ready(r3), report: mine }, T, o);
    expect(step.ledger.completed.toString()).toBe('100-149');
    expect(step.upstream).toEqual({ working: r3 });
    expect(step.revoked).toEqual([]);
  });

  it('does not take again the range it just reported complete while the parent has not folded it', () => {
    const mine: BlockSpecReport = { token: 7, done: '100-149', failed: '', complete: true };
    const step = upstreamStep(ledger('100-149'), {}, { status: ready(r1), report: mine }, T, o);
    expect(step.upstream).toEqual({});
    expect(unassigned(step.ledger).isEmpty).toBe(true);
  });

  it('is drained when the parent says so and it holds nothing of the parent', () => {
    expect(upstreamStep(ledger(), {}, { status: { phase: 'Drained' } }, T, o).drained).toBe(true);
    expect(upstreamStep(ledger(), { working: r1 }, { status: ready(r1) }, T, o).drained).toBe(false);
  });

  it("answers the parent's ask to yield from where it handed out nothing of the range, and hands out nothing from there", () => {
    // w0 holds 100-109; 110-149 was never handed out here.
    const l = assign(
      { ...ledger('0-9'), scope: spanOf(r1) },
      'w0',
      { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 },
      T,
    )!.ledger;
    const step = upstreamStep(
      l,
      { working: r1 },
      { status: { ...ready(r1, r2), yieldFrom: 105 }, report: { token: 7, renewTime: iso(T - 10) } },
      T,
      o,
    );
    // At once: an idle worker of the parent waits for it.
    expect(step.report).toEqual({ token: 7, done: '', failed: '', yieldFrom: 110, renewTime: iso(T) });
    expect(unassigned(step.ledger).isEmpty).toBe(true);
    expect(step.ledger.assignments.get('w0')).toMatchObject({ index: 100, size: 10 });
  });

  it('answers from the offset asked when that is later than what it handed out', () => {
    const step = upstreamStep(
      ledger('100-119'),
      { working: r1 },
      { status: { ...ready(r1), yieldFrom: 140 }, report: { token: 7, renewTime: iso(T - 10) } },
      T,
      o,
    );
    expect(step.report).toMatchObject({ yieldFrom: 140 });
    expect(unassigned(step.ledger).toString()).toBe('120-139');
  });

  it('never switches to the next range once it answered, and says the kept part complete', () => {
    const mine: BlockSpecReport = {
      token: 7,
      done: '100-109',
      failed: '',
      yieldFrom: 110,
      renewTime: iso(T - 10),
    };
    const step = upstreamStep(
      ledger('100-109'),
      { working: r1 },
      { status: ready(r1, r2), report: mine },
      T,
      o,
    );
    expect(step.upstream).toEqual({ working: r1 });
    expect(step.report).toEqual({
      token: 7,
      done: '100-109',
      failed: '',
      complete: true,
      yieldFrom: 110,
      renewTime: iso(T),
    });
  });

  it('takes the shorter range the parent shows once it folded the answer', () => {
    const mine: BlockSpecReport = {
      token: 7,
      done: '100-104',
      failed: '',
      yieldFrom: 110,
      renewTime: iso(T),
    };
    const step = upstreamStep(
      ledger('100-104'),
      { working: r1 },
      { status: ready({ ...r1, size: 10 }), report: mine },
      T + 10,
      o,
    );
    expect(step.upstream).toEqual({ working: { ...r1, size: 10 } });
    expect(unassigned(step.ledger).toString()).toBe('105-109');
  });

  it('runs again what the parent hands out again: an earlier word on those items is not about this range', () => {
    // Item 120 failed here before and was reported so; the parent hands it back (its retry).
    const again: ParentRange = { token: 12, index: 120, size: 1 };
    const step = upstreamStep(
      ledger('100-119,121-149', '120'),
      {},
      { status: ready(again), report: { token: 7, done: '100-119,121-149', failed: '120', complete: true } },
      T,
      o,
    );
    expect(step.upstream).toEqual({ working: again });
    expect(step.ledger.failed.isEmpty).toBe(true);
    expect(unassigned(step.ledger).toString()).toBe('120');
    expect(step.report).toMatchObject({ token: 12, done: '', failed: '' });
    expect(step.report?.complete).toBeUndefined();
  });

  it('decides nothing from a view of the parent Block older than its own status (tokens only grow)', () => {
    const r0: ParentRange = { token: 3, index: 0, size: 50 };
    const step = upstreamStep(
      ledger('100-109'),
      { working: r1 },
      { status: ready(r0), report: { token: 3, done: '0-9', renewTime: iso(T - 60_000) } },
      T,
      o,
    );
    expect(step.upstream).toEqual({ working: r1 });
    expect(step.report).toBeUndefined();
    expect(step.revoked).toEqual([]);
    expect(step.ledger.completed.toString()).toBe('100-109');
    expect(unassigned(step.ledger).isEmpty).toBe(true);
  });

  it('writes a switch its status already made at once, however recent its last report', () => {
    // The status switched to r2 (its workers may start it), the report upward was lost.
    const step = upstreamStep(
      ledger('100-149'),
      { working: r2, finished: r1 },
      { status: ready(r1, r2), report: { token: 7, done: '100-139', renewTime: iso(T - 10) } },
      T,
      o,
    );
    expect(step.report).toMatchObject({ token: 9, finished: { token: 7, done: '100-149' } });
  });

  it('disowns nothing but the range: items and ranges elsewhere stay', () => {
    const l: Ledger = {
      ...ledger('0-9,200-209'),
      retry: new Map([[1, s('120-121,400')]]),
      scope: s('400-420'),
    };
    // The retry pool's items in scope first: 400, its second attempt.
    const given = assign(l, 'w1', { blockSize: 5, maxAttempts: 3, leaseMs: 1 }, 0)!.ledger;
    expect(given.assignments.get('w1')).toMatchObject({ index: 400, size: 1, attempt: 2 });
    const out = disown(given, RangeSet.span(100, 149));
    expect(out.revoked).toEqual([]);
    expect(out.ledger.assignments.get('w1')).toMatchObject({ index: 400 });
    expect(out.ledger.completed.toString()).toBe('0-9,200-209');
    expect(out.ledger.retry.size).toBe(0);
  });
});

// A parent and two secondaries, each with two workers, under random histories: passes of the
// parent and of each secondary (each may crash between its two writes), workers that run items
// (some fail), the parent's lease running out on a secondary, time passing. Checked after every
// step: the parent's ledger keeps every item in one place; a secondary hands out only what the
// parent holds for it, unless the parent took it back meanwhile; an item is completed in the
// parent only if a worker ran it to success. At the end, with everyone well, everything gets done,
// each item run to success exactly once when no lease ran out.
describe('secondaries under random histories', () => {
  const TOTAL = 90;
  const policy: Policy = { blockSize: 6, maxAttempts: 2, leaseMs: 30_000 };
  const own: Policy = { blockSize: 4, maxAttempts: 2, leaseMs: 30_000 };
  // Two ranges a report at most: outcomes that do not fit (two workers, failures) are common here.
  const MAX_RANGES = 2;
  const up: UpstreamOptions = { reportEveryMs: 1000, leaseMs: policy.leaseMs, maxRanges: MAX_RANGES };
  const SECONDARIES = 2;
  const WORKERS = ['w0', 'w1'];

  interface Secondary {
    ledger: Ledger;
    upstream: Upstream;
    /** Suspended: its workers get no new range of its own, and it takes none of the parent's. */
    idle: boolean;
    /** Its Block in the parent's namespace. */
    block: { generation: number; report?: BlockSpecReport; foldedGeneration: number };
  }
  interface World {
    now: number;
    parent: Ledger;
    secondaries: Secondary[];
    /** Successful runs of each item, by any worker anywhere. */
    succeeded: number[];
    /** Items a secondary's worker ran while the parent did not hold them for it (after a lost lease). */
    lostLease: boolean[];
    /** The secondaries start the parent's next range this early (undefined: only at the switch). */
    startNextWithin?: number;
  }

  const parentBlock = (i: number) => `s${i}`;
  /** What the parent's controller writes in a secondary's Block status, from its ledger. */
  function parentStatus(w: World, i: number): BlockStatus {
    const name = parentBlock(i);
    const a = w.parent.assignments.get(name);
    if (a) {
      const n = w.parent.next.get(name);
      return {
        phase: 'Ready',
        index: a.index,
        size: a.size,
        token: a.token,
        ...(n ? { next: { index: n.index, size: n.size, token: n.token } } : {}),
        ...(asked(w.parent, a) ? { yieldFrom: a.yieldFrom } : {}),
      };
    }
    const lost = w.parent.lost.get(name);
    if (lost) return { phase: 'Lost', observedGeneration: lost.generation };
    if (isFinished(w.parent)) return { phase: 'Drained' };
    return { phase: 'Pending' };
  }

  /** The parent's pass: fold each secondary's report once, give ranges, next ranges after a range ended. */
  function parentPass(w: World): void {
    w.secondaries.forEach((sec, i) => {
      const name = parentBlock(i);
      const r = sec.block.report;
      let ended = false;
      if (r && sec.block.generation > sec.block.foldedGeneration) {
        sec.block.foldedGeneration = sec.block.generation;
        if (w.parent.lost.get(name) && sec.block.generation > w.parent.lost.get(name)!.generation)
          w.parent = forgetLost(w.parent, name);
        const before = w.parent.assignments.get(name)?.token;
        const res = applyReport(
          w.parent,
          name,
          {
            token: r.token,
            generation: sec.block.generation,
            done: s(r.done ?? ''),
            failed: s(r.failed ?? ''),
            complete: r.complete,
            release: r.release,
            goOn: r.next,
            ...(r.yieldFrom !== undefined ? { yieldFrom: r.yieldFrom } : {}),
            ...(r.startedNext !== undefined ? { startedNext: r.startedNext } : {}),
            renewedAt: r.renewTime ? Date.parse(r.renewTime) : undefined,
            finished: r.finished
              ? {
                  token: r.finished.token,
                  done: s(r.finished.done ?? ''),
                  failed: s(r.finished.failed ?? ''),
                }
              : undefined,
          },
          policy,
          w.now,
        );
        w.parent = res.ledger;
        ended = res.outcome === 'applied' && w.parent.assignments.get(name)?.token !== before;
      }
      if (w.parent.lost.has(name)) return;
      // A Block whose holder released its range and wants no other gets none (isReleased).
      if (r?.release && !r.next) return;
      const given = { generation: sec.block.generation, size: r?.rangeSize ?? policy.blockSize };
      if (!w.parent.assignments.has(name)) {
        const res = assign(w.parent, name, policy, w.now, given);
        if (res) w.parent = res.ledger;
      }
      // A next range only behind a range that ended in this pass (as the controller does).
      if (ended) {
        const res = assignNext(w.parent, name, policy, given);
        if (res) w.parent = res.ledger;
      }
    });
  }

  /** A secondary's pass: upstream first, then ranges for its own workers; it may crash between its writes. */
  function secondaryPass(w: World, i: number, crash: 'none' | 'before-report' | 'before-status'): void {
    const sec = w.secondaries[i]!;
    // What the parent's status shows settled: completed, failed, in its retry pool.
    let settled = w.parent.completed.union(w.parent.failed);
    for (const set of w.parent.retry.values()) settled = settled.union(set);
    const step = upstreamStep(
      sec.ledger,
      sec.upstream,
      { status: parentStatus(w, i), report: sec.block.report, settled },
      w.now,
      { ...up, rangeSize: 12, idle: sec.idle, startNextWithin: w.startNextWithin },
    );
    let l = step.ledger;
    for (const worker of WORKERS) {
      if (!l.assignments.has(worker) && !sec.idle) {
        const res = assign(l, worker, own, w.now);
        if (res) l = res.ledger;
      }
    }
    // Its own status first, then the report upward; a crash loses the second write, or (the
    // other order's crash) the first.
    if (crash !== 'before-status') {
      sec.ledger = l;
      sec.upstream = step.upstream;
    }
    if (step.report && crash !== 'before-report') {
      // Never more than a report may hold: the API server would refuse it.
      const r = step.report;
      for (const ranges of [r.done, r.failed, r.finished?.done, r.finished?.failed])
        expect(s(ranges ?? '').ranges.length).toBeLessThanOrEqual(MAX_RANGES);
      sec.block.report = step.report;
      sec.block.generation++;
    }
  }

  /**
   * What a secondary's workers may start, by the parent's protocol: the live part of the range
   * the parent has it working on, and its next range only once it has written the switch to it,
   * or started it (its own status says so, whether or not its word reached the parent yet).
   */
  function startable(w: World, i: number): RangeSet {
    const a = w.parent.assignments.get(parentBlock(i));
    const n = w.parent.next.get(parentBlock(i));
    const sec = w.secondaries[i]!;
    const mine = sec.block.report;
    const switched =
      n && ((mine?.token === n.token && mine.finished !== undefined) || sec.upstream.next?.token === n.token);
    return (a ? liveItems(a) : RangeSet.EMPTY).union(
      switched ? RangeSet.span(n.index, n.index + n.size - 1) : RangeSet.EMPTY,
    );
  }

  /** A worker of a secondary runs up to `n` items of its range and reports; the range ends when all ran. */
  function work(w: World, i: number, worker: string, n: number, failEvery: number): void {
    const sec = w.secondaries[i]!;
    const a = sec.ledger.assignments.get(worker);
    if (!a) return;
    const todo = RangeSet.span(a.index, a.index + a.size - 1)
      .subtract(a.reported)
      .take(n)[0];
    let done = RangeSet.EMPTY;
    let failed = RangeSet.EMPTY;
    const held = startable(w, i);
    for (const r of todo.ranges) {
      for (let x = r.start; x <= r.end; x++) {
        if (!held.has(x)) w.lostLease[x] = true;
        const ok = failEvery === 0 || x % failEvery !== 0;
        if (ok) {
          w.succeeded[x]!++;
          done = done.union(RangeSet.span(x, x));
        } else failed = failed.union(RangeSet.span(x, x));
      }
    }
    const reported = a.reported.union(done).union(failed);
    const complete = reported.size === a.size;
    sec.ledger = applyReport(
      sec.ledger,
      worker,
      { token: a.token, done, failed, complete },
      own,
      w.now,
    ).ledger;
  }

  /** The parent asks a secondary to yield its range from an offset on (tail stealing), once per range. */
  function askToYieldFrom(w: World, i: number, at: number): void {
    const a = w.parent.assignments.get(parentBlock(i));
    if (a) w.parent = askToYield(w.parent, a.block, a.index + (at % (a.size + 1))) ?? w.parent;
  }

  /** The parent's lease on a secondary ran out: its ranges go back, its Block is Lost. */
  function expire(w: World, i: number): boolean {
    const name = parentBlock(i);
    if (!w.parent.assignments.has(name)) return false;
    w.parent = markLost(reclaim(w.parent, name, policy), name, w.secondaries[i]!.block.generation, w.now);
    return true;
  }

  function check(w: World): void {
    const parts = [...places(w.parent), unassigned(w.parent)];
    expect(parts.reduce((n, p) => n + p.size, 0)).toBe(TOTAL);
    // Completed in the parent only what some worker ran to success.
    for (const r of w.parent.completed.ranges)
      for (let x = r.start; x <= r.end; x++) expect(w.succeeded[x], `item ${x}`).toBeGreaterThan(0);
    // A secondary's ranges lie within its scope, and its scope within what the parent holds for
    // it, or gave it and took back (its lease ran out), or the range it just finished.
    w.secondaries.forEach((sec, i) => {
      for (const a of sec.ledger.assignments.values()) {
        const items = RangeSet.span(a.index, a.index + a.size - 1).subtract(a.reported);
        expect(items.subtract(sec.ledger.scope ?? RangeSet.EMPTY).isEmpty, `s${i}/${a.block}`).toBe(true);
      }
    });
  }

  const step = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('parent' as const) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('secondary' as const),
        i: fc.nat(SECONDARIES - 1),
        crash: fc.constantFrom(
          'none' as const,
          'none' as const,
          'before-report' as const,
          'before-status' as const,
        ),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('work' as const),
        i: fc.nat(SECONDARIES - 1),
        worker: fc.constantFrom(...WORKERS),
        n: fc.integer({ min: 1, max: 5 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), i: fc.nat(SECONDARIES - 1) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('ask' as const), i: fc.nat(SECONDARIES - 1), at: fc.nat(40) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(3000) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('suspend' as const), i: fc.nat(SECONDARIES - 1) }),
    },
  );

  type Step = typeof step extends fc.Arbitrary<infer U> ? U : never;

  function run(steps: Step[], failEvery: number, expireAllowed: boolean, startNextWithin?: number) {
    const w: World = {
      now: 0,
      startNextWithin,
      parent: emptyLedger(TOTAL),
      secondaries: Array.from({ length: SECONDARIES }, () => ({
        ledger: { ...emptyLedger(TOTAL), scope: RangeSet.EMPTY },
        upstream: {},
        idle: false,
        block: { generation: 1, foldedGeneration: 1 },
      })),
      succeeded: Array.from({ length: TOTAL }, () => 0),
      lostLease: Array.from({ length: TOTAL }, () => false),
    };
    let expired = false;
    for (const st of steps) {
      switch (st.kind) {
        case 'parent':
          parentPass(w);
          break;
        case 'secondary':
          secondaryPass(w, st.i, st.crash);
          break;
        case 'work':
          work(w, st.i, st.worker, st.n, failEvery);
          break;
        case 'expire':
          if (expireAllowed) expired = expire(w, st.i) || expired;
          break;
        case 'ask':
          askToYieldFrom(w, st.i, st.at);
          break;
        case 'tick':
          w.now += st.ms;
          break;
        case 'suspend':
          w.secondaries[st.i]!.idle = !w.secondaries[st.i]!.idle;
          break;
      }
      check(w);
    }
    // Everyone well from here on: passes and work until the parent is finished.
    for (const sec of w.secondaries) sec.idle = false;
    for (let round = 0; round < 2000 && !isFinished(w.parent); round++) {
      w.now += 500;
      parentPass(w);
      for (let i = 0; i < SECONDARIES; i++) {
        secondaryPass(w, i, 'none');
        for (const worker of WORKERS) work(w, i, worker, 3, failEvery);
      }
      check(w);
    }
    expect(isFinished(w.parent)).toBe(true);
    return { w, expired };
  }

  it('finishes every item, each completed in the parent only after a worker ran it to success', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 10, maxLength: 80 }),
        fc.constantFrom(0, 7),
        fc.constantFrom(undefined, 0, 4, 100, Number.POSITIVE_INFINITY),
        (steps, failEvery, startNextWithin) => {
          const { w } = run(steps, failEvery, true, startNextWithin);
          expect(w.parent.completed.size + w.parent.failed.size).toBe(TOTAL);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('runs each item to success exactly once, and only while the parent holds it for its secondary, when no lease runs out', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 10, maxLength: 80 }),
        fc.constantFrom(undefined, 0, 4, 100, Number.POSITIVE_INFINITY),
        (steps, startNextWithin) => {
          const { w } = run(steps, 0, false, startNextWithin);
          expect(w.succeeded).toEqual(Array.from({ length: TOTAL }, () => 1));
          expect(w.lostLease.some(Boolean)).toBe(false);
          expect(w.parent.completed.size).toBe(TOTAL);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the parent's pool, as a secondary may trust it", () => {
  // A parent of 100 items in blocks of 10: the secondary's Block `s` holds 0-9 (token 1) and
  // 10-19 as its next range (token 2); 80 items are left to hand out.
  const policy: Policy = { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 };
  const first = assign(emptyLedger(100), 's', policy, 0)!.ledger;
  const withNext = assignNext(first, 's', policy)!.ledger;

  it.each([
    { name: 'from a status that holds the next range the Block shows', parent: withNext, next: 2, want: 80 },
    {
      name: 'none from an older status, whose pool still counts that range',
      parent: first,
      next: 2,
      want: undefined,
    },
    { name: 'none when the Block shows no next range', parent: withNext, next: undefined, want: undefined },
  ])('$name', ({ parent, next, want }) => {
    expect(parentPoolAfter(parent, 's', next)).toBe(want);
  });
});

describe('what a secondary reads of its parent Worklist', () => {
  // The parent's status as the previous table's: our Block `s` holds 0-9 with 10-19 next (token
  // 2), 20-29 failed for good; as a secondary itself, the parent works on 0-49 of its own parent.
  const policy: Policy = { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 };
  const held = assignNext(assign(emptyLedger(100), 's', policy, 0)!.ledger, 's', policy)!.ledger;
  const status = {
    ...JSON.parse(JSON.stringify(toStatus({ ...held, failed: s('20-29') }, 'top'))),
    upstream: { working: { token: 3, index: 0, size: 50 } },
  };
  const worklist = (source: object, st: object = status) =>
    ({ metadata: { name: 'top' }, spec: { source, blockSize: 10 }, status: st }) as unknown as Worklist;
  const ofItems = worklist({ range: { start: 0, end: 99 } });
  const secondary = worklist({ worklist: { name: 'up', namespace: 'a' } });
  const block = (next?: number) =>
    ({
      metadata: { name: 's' },
      status: {
        phase: 'Ready',
        token: 1,
        index: 0,
        size: 10,
        ...(next ? { next: { token: next, index: 10, size: 10 } } : {}),
      },
    }) as unknown as Block;

  it.each([
    {
      name: 'a Worklist of its own items: its pool is all it has not handed out',
      parent: ofItems,
      b: block(2),
      pool: 70,
    },
    {
      name: 'itself a secondary: its pool is what it has not handed out of its own parent range',
      parent: secondary,
      b: block(2),
      pool: 20,
    },
    {
      name: 'a status behind our Block (it shows a next range the status does not hold): no pool',
      parent: ofItems,
      b: block(5),
      pool: undefined,
    },
    { name: 'no Block of ours yet: no pool', parent: ofItems, b: undefined, pool: undefined },
  ])('of $name', ({ parent, b, pool }) => {
    const view = parentView(parent, b);
    expect(view.parentPool).toBe(pool);
    expect(view.settled?.toString()).toBe('20-29');
  });

  it('reads nothing of a status with a line it cannot parse', () => {
    expect(
      parentView(worklist({ range: { start: 0, end: 99 } }, { ...status, assigned: ['s'] }), block(2)),
    ).toEqual({});
  });

  it('lets any other error out (the pass fails, and says why)', () => {
    expect(() =>
      parentView(worklist({ range: { start: 0, end: 99 } }, { ...status, completed: '9-3' }), block(2)),
    ).toThrow();
  });
});

describe("a secondary starts its parent's next range before the current one is finished", () => {
  const own: Policy = { blockSize: 10, maxAttempts: 3, leaseMs: 60_000 };
  const early: UpstreamOptions = { ...o, startNextWithin: 10 };
  /** r1 (100-149) in scope; w0 holds 100-139, so 140-149 is all that is left to hand out. */
  const mostlyOut = (done = '') =>
    assign({ ...ledger(done), scope: spanOf(r1) }, 'w0', own, T, { size: 40 })!.ledger;
  const recent = { token: 7, renewTime: iso(T - 10) };
  /** A pass of a secondary that works on r1 and started r2, by default as the parent shows both and knows it. */
  const withStarted = (
    l: Ledger,
    {
      status = ready(r1, r2),
      report = { ...recent, startedNext: 9 },
      o: opts = early,
    }: { status?: BlockStatus; report?: BlockSpecReport; o?: UpstreamOptions } = {},
  ) => upstreamStep(l, { working: r1, next: r2 }, { status, report }, T, opts);

  it('starts it once at most startNextWithin items of the current one are left to hand out, and says so upward at once', () => {
    const step = upstreamStep(
      mostlyOut(),
      { working: r1 },
      { status: ready(r1, r2), report: recent },
      T,
      early,
    );
    expect(step.upstream).toEqual({ working: r1, next: r2 });
    expect(unassigned(step.ledger).toString()).toBe('140-149,300-349');
    expect(step.report).toEqual({ token: 7, done: '', failed: '', startedNext: 9, renewTime: iso(T) });
  });

  it('does not start it while more is left, without the option, or with no next range shown', () => {
    for (const [why, opts, status] of [
      ['more left', { ...o, startNextWithin: 9 }, ready(r1, r2)],
      ['no option', o, ready(r1, r2)],
      ['no next range', early, ready(r1)],
    ] as const) {
      const step = upstreamStep(mostlyOut(), { working: r1 }, { status, report: recent }, T, opts);
      expect(step.upstream, why).toEqual({ working: r1 });
      expect(unassigned(step.ledger).toString(), why).toBe('140-149');
    }
  });

  it('does not start it while answering an ask to yield, once it yielded, or while idle', () => {
    const cases: [string, BlockStatus, BlockSpecReport, UpstreamOptions][] = [
      ['asked', { ...ready(r1, r2), yieldFrom: 145 }, recent, early],
      ['yielded', ready(r1, r2), { ...recent, yieldFrom: 140 }, early],
      ['idle', ready(r1, r2), recent, { ...early, idle: true }],
    ];
    for (const [why, status, report, opts] of cases) {
      const step = upstreamStep(mostlyOut(), { working: r1 }, { status, report }, T, opts);
      expect(step.upstream.next, why).toBeUndefined();
      expect(step.report?.startedNext, why).toBeUndefined();
    }
  });

  it('says it in every report on the current range, and again after a crash before its report upward', () => {
    const step = withStarted({ ...ledger('100-109'), scope: spanOf(r1) }, { report: recent });
    expect(step.report).toMatchObject({ token: 7, done: '100-109', startedNext: 9 });
    expect(step.upstream).toEqual({ working: r1, next: r2 });
  });

  it('switches to it with what its workers did of it so far, keeping those items', () => {
    const step = withStarted(ledger('100-149,300-309'));
    expect(step.report).toEqual({
      token: 9,
      done: '300-309',
      failed: '',
      finished: { token: 7, done: '100-149', failed: '' },
      renewTime: iso(T),
    });
    expect(step.upstream).toEqual({ working: r2, finished: r1 });
    expect(step.ledger.completed.toString()).toBe('100-149,300-309');
  });

  it('answers an ask to yield keeping it, and switches to it once the range before is done', () => {
    const l = { ...ledger('100-139'), scope: spanOf(r1).union(spanOf(r2)) };
    const asked = withStarted(l, { status: { ...ready(r1, r2), yieldFrom: 140 } });
    expect(asked.report).toMatchObject({ token: 7, yieldFrom: 140, startedNext: 9 });
    expect(asked.upstream).toEqual({ working: r1, next: r2 });
    expect(unassigned(asked.ledger).toString()).toBe('300-349');
    // The parent folded the answer: r1 ends at 140, all of it done; r2 still next, started.
    const folded = upstreamStep(
      asked.ledger,
      asked.upstream,
      { status: ready({ ...r1, size: 40 }, r2), report: asked.report },
      T + 100,
      early,
    );
    expect(folded.report).toMatchObject({ token: 9, finished: { token: 7, done: '100-139' } });
    expect(folded.upstream).toEqual({ working: r2, finished: { ...r1, size: 40 } });
  });

  it('works on it once the parent shows it as the current range (it yielded all of the one before)', () => {
    const step = withStarted(
      { ...ledger('300-304'), scope: spanOf(r2) },
      { status: ready(r2), report: { ...recent, yieldFrom: 100, startedNext: 9 } },
    );
    expect(step.upstream).toEqual({ working: r2 });
    expect(step.ledger.completed.toString()).toBe('300-304');
    expect(step.revoked).toEqual([]);
  });

  it('disowns it when the parent shows it no more (its lease ran out): our ranges on it are revoked', () => {
    const l = assign({ ...ledger('300-304'), scope: spanOf(r2) }, 'w1', own, T)!.ledger;
    const step = withStarted(l, { status: { phase: 'Lost', observedGeneration: 4 } });
    expect(step.upstream).toEqual({});
    expect(step.revoked).toEqual(['w1']);
    expect(step.ledger.completed.toString()).toBe('');
  });

  it('when idle with the range before it unfinished, releases that one going on to it, then releases it with what is done of it', () => {
    const idle = { ...early, idle: true };
    // 140-149 waits in the retry pool (its worker gone); 300-319 of the started range are done.
    const l: Ledger = {
      ...ledger('100-139,300-319'),
      retry: new Map([[1, s('140-149')]]),
      scope: spanOf(r1).union(spanOf(r2)),
    };
    const first = withStarted(l, { o: idle });
    expect(first.report).toMatchObject({
      token: 7,
      done: '100-139',
      release: true,
      next: true,
      startedNext: 9,
    });
    // The parent made the started range the current one: given back now, with its done items.
    const then = upstreamStep(
      first.ledger,
      first.upstream,
      { status: ready(r2), report: first.report },
      T + 100,
      idle,
    );
    expect(then.upstream).toEqual({ working: r2 });
    expect(then.report).toMatchObject({ token: 9, done: '300-319', release: true });
    expect(then.report?.next).toBeUndefined();
  });

  it('decides nothing from a view that shows the range before it without it (the parent takes it back only with that one)', () => {
    const l = assign({ ...ledger('300-304'), scope: spanOf(r2) }, 'w1', own, T)!.ledger;
    const step = withStarted(l, { status: ready(r1) });
    expect(step.upstream).toEqual({ working: r1, next: r2 });
    expect(step.revoked).toEqual([]);
    expect(step.report).toBeUndefined();
  });

  it('does not start it while its release of the range before it is not folded yet', () => {
    const step = upstreamStep(
      mostlyOut(),
      { working: r1 },
      { status: ready(r1, r2), report: { ...recent, release: true } },
      T,
      early,
    );
    expect(step.upstream.next).toBeUndefined();
  });

  it('when idle, switches to it before it gives anything back, and gives back nothing while its items are out', () => {
    const done = withStarted(ledger('100-149'), { o: { ...early, idle: true } });
    expect(done.report).toMatchObject({ token: 9, finished: { token: 7 } });
    const out = assign({ ...ledger('100-139'), scope: spanOf(r2) }, 'w1', own, T)!.ledger;
    const held = withStarted(out, { o: { ...early, idle: true } });
    expect(held.report?.release).toBeUndefined();
  });
});
