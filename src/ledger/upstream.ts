import {
  NO_RANGE_TOKEN,
  type Block,
  type BlockSpecReport,
  type BlockStatus,
  type Worklist,
} from '../api/v1alpha1/index.js';
import { AssignedSyntaxError } from './assigned.js';
import { ledgerOf, poolSize, unassigned, type Ledger } from './ledger.js';
import { MAX_REPORT_RANGES } from './limits.js';
import { RangeSet } from './range-set.js';

/**
 * A secondary Worklist works on its parent as one worker does: through one Block in the parent's
 * namespace, fenced by the parent's tokens and leases. Its items are the parent's, at the
 * parent's offsets (no mapping to keep, and the parent's ledger stays the one exact one). It
 * hands out only the items of the parent range it works on (its ledger's scope), and reports
 * upward, cumulatively, what its own ledger says of that range: the items completed, the items
 * that failed their last attempt here, and, once every item of it is one or the other, that the
 * range is complete (or the switch to the parent's next range, in one write, as a worker does).
 *
 * Everything here is pure: what to write on the parent Block and how the secondary's ledger
 * changes follow from the secondary's status and the parent Block as read.
 */

/** A range of the parent's items as the parent handed it out: its token fences every report on it. */
export interface ParentRange {
  readonly token: number;
  readonly index: number;
  readonly size: number;
}

/** What a secondary's status keeps of its parent (status.upstream). */
export interface Upstream {
  /** The parent range whose items this Worklist hands out. */
  readonly working?: ParentRange;
  /**
   * The parent's next range, once this Worklist hands out its items too, while the last ones of
   * `working` still run (it said so upward: startedNext). It switches to it once `working` is
   * finished.
   */
  readonly next?: ParentRange;
  /** The range it finished before, until the parent has folded that switch. */
  readonly finished?: ParentRange;
}

/** The secondary's Block in the parent's namespace: the parent's word (status), and its own last report. */
export interface ParentBlock {
  readonly status?: BlockStatus;
  readonly report?: BlockSpecReport;
  /**
   * What the parent's ledger has settled (completed, failed, or in its retry pool): what our
   * reports need not say again when all of it would not fit in one (settledIn).
   */
  readonly settled?: RangeSet;
}

/** The items a parent's ledger has settled: completed, failed for good, or waiting in its retry pool. */
export const settledIn = (parent: Ledger): RangeSet =>
  [...parent.retry.values()].reduce(
    (settled, set) => settled.union(set),
    parent.completed.union(parent.failed),
  );

/**
 * The parent's items not handed out yet (its pool), as a view of its status that already holds
 * the next range its Block shows us (`next`, its token); undefined from an older view, whose pool
 * still counts that range, or when the Block shows none. The parent's Worklist and its Blocks
 * come through different watches, in no order between them.
 */
export function parentPoolAfter(parent: Ledger, block: string, next: number | undefined): number | undefined {
  if (next === undefined || parent.next.get(block)?.token !== next) return undefined;
  return poolSize(parent);
}

/**
 * What a secondary reads of its parent's ledger, its status parsed once: the items it settled
 * (settledIn), and its pool once it holds the next range our Block shows (parentPoolAfter).
 * Nothing when a line of its status.assigned does not parse (the parent's controller is stuck
 * on it too, and says so on the parent).
 */
export function parentView(
  parent: Worklist,
  block: Block | undefined,
): { settled?: RangeSet; parentPool?: number } {
  let ledger: Ledger;
  try {
    ledger = ledgerOf(parent);
  } catch (err) {
    if (err instanceof AssignedSyntaxError) return {};
    throw err;
  }
  const pool = block && parentPoolAfter(ledger, block.metadata.name!, block.status?.next?.token);
  return { settled: settledIn(ledger), ...(pool !== undefined ? { parentPool: pool } : {}) };
}

/**
 * How often a secondary reports progress upward at most: a worker's pace (its PROGRESS_EVERY_MS).
 * What a secondary's crash makes run again elsewhere is what finished since.
 */
export const UPSTREAM_REPORT_EVERY_MS = 5000;

export interface UpstreamOptions {
  /** Progress upward at most this often (a switch or a complete range goes at once). */
  readonly reportEveryMs: number;
  /** The parent's lease: a report renews it at least every third of it. */
  readonly leaseMs: number;
  /**
   * Start the parent's next range once at most this many items of the current one are left to
   * hand out (about a block per worker: its workers would otherwise wait for the last of them;
   * Infinity: at once). Undefined: only at the switch, once every item of the current one is
   * done or failed.
   */
  readonly startNextWithin?: number;
  /** How many of the parent's items to ask for in the next range (spec.report.rangeSize). */
  readonly rangeSize?: number;
  /** Ranges a report's done, or its failed, holds at most (default MAX_REPORT_RANGES, as the parent accepts). */
  readonly maxRanges?: number;
  /**
   * No worker of its own could run a range now (none live, or the secondary is suspended): it
   * takes no parent range, and gives back the one it works on once nothing of it is out.
   */
  readonly idle?: boolean;
}

export interface UpstreamStep {
  /** The secondary's ledger: scoped to the parent range it works on, a range taken back disowned. */
  readonly ledger: Ledger;
  readonly upstream: Upstream;
  /** The report to write on the parent Block; undefined when what is there says it. */
  readonly report?: BlockSpecReport;
  /** Our Blocks whose range went with a parent range the parent took back: their workers stop it. */
  readonly revoked: readonly string[];
  /** The parent has nothing left for this Worklist, and it holds nothing of the parent's. */
  readonly drained: boolean;
  /** When a report falls due although nothing changes (the lease's renewal, held-back progress). */
  readonly wakeInMs?: number;
}

export const spanOf = (r: ParentRange): RangeSet => RangeSet.span(r.index, r.index + r.size - 1);

/** The ranges the parent Block shows: the one its holder works on, and the one it starts next. */
function shown(status: BlockStatus | undefined): { current?: ParentRange; next?: ParentRange } {
  if (status?.phase !== 'Ready' || typeof status.index !== 'number' || typeof status.size !== 'number')
    return {};
  const current = { token: status.token!, index: status.index, size: status.size };
  const n = status.next;
  return { current, next: n ? { token: n.token, index: n.index, size: n.size } : undefined };
}

/**
 * Drops the parent's items of `range` from this ledger, as if never held (the parent took the
 * range back, and may hand it to someone else): completed and failed items not yet counted
 * upward are counted wherever they run next. Our ranges on them go too; their Blocks are
 * returned, so that their workers learn it and stop.
 */
export function disown(l: Ledger, range: RangeSet): { ledger: Ledger; revoked: string[] } {
  const touches = (a: { index: number; size: number }) =>
    !range.intersect(RangeSet.span(a.index, a.index + a.size - 1)).isEmpty;
  const revoked = [...l.assignments.values()]
    .filter((a) => touches(a) || (l.next.has(a.block) && touches(l.next.get(a.block)!)))
    .map((a) => a.block);
  const assignments = new Map(l.assignments);
  const next = new Map(l.next);
  for (const b of revoked) {
    assignments.delete(b);
    next.delete(b);
  }
  const retry = new Map<number, RangeSet>();
  for (const [attempts, set] of l.retry) {
    const rest = set.subtract(range);
    if (!rest.isEmpty) retry.set(attempts, rest);
  }
  return {
    ledger: {
      ...l,
      completed: l.completed.subtract(range),
      failed: l.failed.subtract(range),
      assignments,
      next,
      retry,
    },
    revoked,
  };
}

/** Where the range's end that this ledger never handed out starts (the range's end when none is). */
function untouchedFrom(l: Ledger, r: ParentRange): number {
  const end = r.index + r.size;
  const last = unassigned(l).intersect(spanOf(r)).ranges.at(-1);
  return last && last.end === end - 1 ? last.start : end;
}

/** A report's content, without when it was written: what decides whether it needs writing again. */
const content = (r: BlockSpecReport | undefined) => JSON.stringify(r ? { ...r, renewTime: undefined } : {});

/**
 * One pass of a secondary over its parent Block: which parent range it works on now, its ledger
 * scoped to it, and the report to write upward. Rebuilt from the world each pass: a pass that
 * crashed between its two writes (the secondary's status, the parent Block's report) is
 * repaired by the next, whichever landed.
 */
export function upstreamStep(
  l: Ledger,
  up: Upstream,
  parent: ParentBlock,
  now: number,
  o: UpstreamOptions,
): UpstreamStep {
  const { current, next } = shown(parent.status);
  const mine = parent.report;
  const shows = (r: ParentRange | undefined) =>
    r !== undefined && (current?.token === r.token || next?.token === r.token);
  let { working, finished, next: early } = up;
  let ledger = l;
  const revoked: string[] = [];
  // A range newly ours: whatever this ledger still says of its items (from an earlier hold of
  // them, reported or taken back since) is not about this hold: the parent hands them out again
  // to be run again (its retry, a `retry` of the parent, a parent made anew).
  const take = (r: ParentRange) => {
    const out = disown(ledger, spanOf(r));
    ledger = out.ledger;
    revoked.push(...out.revoked);
    return r;
  };

  // A view of the parent Block older than our own status (an informer behind, a new leader's):
  // every range it shows has a token below the one we work on, and tokens only grow. Nothing is
  // decided from it: no new hand-out, nothing said upward, until it catches up.
  const behind = (t: number) => [current, next].every((r) => r === undefined || r.token < t);
  // So is one that shows the range we work on without the next one we started: the parent takes
  // a started range back only with the one before it (or makes it the current one).
  const lagging = early !== undefined && current?.token === working?.token && next?.token !== early.token;
  if (working && current && (behind(working.token) || lagging)) {
    return {
      ledger: { ...l, scope: RangeSet.EMPTY },
      upstream: up,
      revoked: [],
      drained: false,
      wakeInMs: o.reportEveryMs,
    };
  }

  // Our switch report landed before our own status said so (a crash between the two writes).
  if (working && mine?.finished?.token === working.token && mine.token !== working.token) {
    const to = [current, next].find((r) => r?.token === mine.token);
    // A range we started early is ours already: what our workers did of it stays.
    if (to) [finished, working] = [working, early?.token === to.token ? to : take(to)];
    if (early?.token === working.token) early = undefined;
  }
  if (working && !shows(working)) {
    // Gone from the parent Block: folded after we said every item of it is done, or taken back
    // (our lease ran out, our Block was lost or deleted): then nothing of it is ours any more.
    const reportedComplete =
      (mine?.token === working.token && mine.complete === true) || mine?.finished?.token === working.token;
    if (!reportedComplete) take(working);
    working = undefined;
  }
  // The range we started early: the one we work on once the parent shows it as current (it took
  // back the rest of the one before, which we had yielded), or gone with it (our lease ran out).
  if (early && !working && current?.token === early.token) [working, early] = [early, undefined];
  if (early && !shows(early)) {
    take(early);
    early = undefined;
  }
  // The switch is folded once the parent shows the range we work on as its current one.
  if (finished && (!working || current?.token === working.token)) finished = undefined;
  // A range to work on: the parent's current one, unless it is the one we just said was complete.
  const ended = (r: ParentRange) =>
    mine?.token === r.token && (mine.complete === true || mine.release === true);
  if (!working && current && !ended(current) && !o.idle) working = take(current);
  // The parent folded our answer to its ask to yield: the range under our token ends there now.
  if (working && current?.token === working.token && current.size < working.size) working = current;

  // Tail stealing one level up (docs/protocol.md): the parent asks us to start nothing of the
  // range from an offset on, nor its next range. What we never handed out (the range's untouched
  // end) can go: we answer from there (the asked offset if later), once, carry the answer in
  // every report on the range after, hand out nothing from there on, and never switch.
  let yielded = working && mine?.token === working.token ? mine.yieldFrom : undefined;
  const asked = parent.status?.yieldFrom;
  const answering =
    working !== undefined && yielded === undefined && asked !== undefined && current?.token === working.token;
  if (answering) yielded = Math.max(asked, untouchedFrom({ ...ledger, scope: spanOf(working!) }, working!));
  /** The range as far as we keep it. */
  const kept = (r: ParentRange) =>
    yielded === undefined || r.token !== working?.token
      ? r
      : { ...r, size: Math.max(0, Math.min(r.size, yielded - r.index)) };

  // Pipelining one level up: once little of the range is left to hand out, the parent's next
  // range is started too, so that our workers do not wait for the range's last items. The
  // parent keeps a next range that we said we started (startedNext, in every report on the
  // range from then on): it no longer takes it back whole, as never started.
  if (
    !early &&
    working &&
    next &&
    current?.token === working.token &&
    next.token !== working.token &&
    !finished &&
    yielded === undefined &&
    !o.idle &&
    // A release of the range not folded yet: the parent may give both back.
    !(mine?.token === working.token && mine.release === true) &&
    o.startNextWithin !== undefined &&
    // What of the range is left to hand out.
    poolSize({ ...ledger, scope: spanOf(kept(working)) }) <= o.startNextWithin
  )
    early = take(next);
  const startedNext = early ? { startedNext: early.token } : {};

  const renewTime = new Date(now).toISOString();
  const ask = o.rangeSize ? { rangeSize: o.rangeSize } : {};
  const max = o.maxRanges ?? MAX_REPORT_RANGES;
  const settled = parent.settled ?? RangeSet.EMPTY;
  const fits = (x: { done: RangeSet; failed: RangeSet }) =>
    x.done.ranges.length <= max && x.failed.ranges.length <= max;
  /**
   * What to say of a range: all of it, when that fits in one report (as a worker's report does);
   * else what the parent has not settled yet, its first `max` ranges of each, and the rest in the
   * reports after, once the parent folded these (failures scattered over a large parent range
   * would otherwise make a report the API server refuses). `whole`: nothing is left unsaid, so
   * the range may be called complete or switched from.
   */
  const outcome = (r: ParentRange) => {
    const all = { done: ledger.completed.intersect(spanOf(r)), failed: ledger.failed.intersect(spanOf(r)) };
    if (fits(all)) return { ...all, whole: true };
    const owed = { done: all.done.subtract(settled), failed: all.failed.subtract(settled) };
    return { done: first(owed.done, max), failed: first(owed.failed, max), whole: fits(owed) };
  };
  let report: BlockSpecReport | undefined;
  /** Written this pass whatever the last one's age: a range ends. */
  let urgent = false;
  /** Written once per reportEveryMs while the parent shows our Block Lost. */
  let comeBack = false;
  /** Our own ranges on the parent range: while any is out, the range cannot go back. */
  const out = (r: ParentRange) =>
    [...ledger.assignments.values(), ...ledger.next.values()].some(
      (a) => !spanOf(r).intersect(RangeSet.span(a.index, a.index + a.size - 1)).isEmpty,
    );
  /** Every item of the range done or failed here, and all of it said in one report. */
  const allDone = (r: ParentRange) => {
    const k = kept(r);
    return ledger.completed.union(ledger.failed).intersect(spanOf(k)).size === k.size && outcome(k).whole;
  };
  if (
    working &&
    o.idle &&
    !finished &&
    !out(working) &&
    outcome(kept(working)).whole &&
    // With a next range started: its items not out either, and the switch to it goes first.
    !(early && (out(early) || allDone(working)))
  ) {
    // Idle: what is done and failed goes up, the rest back to the parent's pool, costing
    // nothing; a release asks for no other range (the parent gives none until we write again).
    // With a next range started, the release goes on to it (`next`): the parent makes it the
    // current one, and the next pass gives it back with what is done of it.
    const { done, failed } = outcome(kept(working));
    report = {
      token: working.token,
      done: done.toString(),
      failed: failed.toString(),
      release: true,
      ...(early ? { next: true } : {}),
      ...(yielded !== undefined ? { yieldFrom: yielded } : {}),
      ...startedNext,
      renewTime,
    };
    urgent = !(mine?.token === working.token && mine.release === true);
  } else if (!working && o.idle && current && !ended(current)) {
    // A range the parent gave us while we could not run it: back, untouched.
    report = { token: current.token, done: '', failed: '', release: true, renewTime };
    urgent = true;
  } else if (!working && !o.idle && mine?.release === true && !mine.next && parent.status?.phase !== 'Lost') {
    // Our workers are back: a report that is no release makes our Block eligible again.
    report = { token: mine.token, done: '', failed: '', renewTime, ...ask };
    urgent = true;
  } else if (working) {
    const { done, failed } = outcome(kept(working));
    const all = allDone(working);
    const startedIt = early !== undefined && early.token === next?.token;
    // Once it answered an ask, only to a range it started, and once the parent folded the
    // answer: a switch report says nothing of what it yielded, which would then cost an attempt.
    const answered = yielded !== undefined && working.index + working.size <= yielded;
    if (
      all &&
      next &&
      next.token !== working.token &&
      !finished &&
      (yielded === undefined || (startedIt && answered))
    ) {
      // Every item of it done or failed, and the parent's next range waits (or runs already):
      // switch, in one write, with what is done of the next range so far.
      const onNext = startedIt ? outcome(next) : undefined;
      report = {
        token: next.token,
        done: onNext ? onNext.done.toString() : '',
        failed: onNext ? onNext.failed.toString() : '',
        finished: { token: working.token, done: done.toString(), failed: failed.toString() },
        renewTime,
        ...ask,
      };
      [finished, working] = [working, startedIt ? next : take(next)];
      early = undefined;
      urgent = true;
    } else {
      const before = finished ? outcome(finished) : undefined;
      report = {
        token: working.token,
        done: done.toString(),
        failed: failed.toString(),
        ...(all ? { complete: true } : {}),
        ...(yielded !== undefined ? { yieldFrom: yielded } : {}),
        ...startedNext,
        ...(finished && before
          ? {
              finished: {
                token: finished.token,
                done: before.done.toString(),
                failed: before.failed.toString(),
              },
            }
          : {}),
        renewTime,
        ...ask,
      };
      // An idle worker of the parent waits for our answer.
      urgent = answering || (all && !(mine?.token === working.token && mine.complete === true));
    }
  } else if (parent.status?.phase === 'Lost') {
    // The parent gives a Lost Block nothing until its holder writes to it again: a sign of life.
    report = { ...(mine ?? { token: NO_RANGE_TOKEN }), renewTime };
    comeBack = true;
  }

  const scope = (working && kept(working).size > 0 ? spanOf(kept(working)) : RangeSet.EMPTY).union(
    early ? spanOf(early) : RangeSet.EMPTY,
  );
  ledger = { ...ledger, scope };
  const lastWritten = mine?.renewTime ? Date.parse(mine.renewTime) : -Infinity;
  const age = now - lastWritten;
  const renewEveryMs = Math.max(1, Math.floor(o.leaseMs / 3));
  let write: BlockSpecReport | undefined;
  let wakeInMs: number | undefined;
  // A report on another range than the last one written, or one that must carry the final
  // report on the finished range and did not: the parent must hear it before anything else
  // (our workers may start the range it switches to once our status says so).
  if (report && mine && (report.token !== mine.token || (report.finished && !mine.finished))) urgent = true;
  // A next range started: the parent hears it at once, or it may still ask for that range whole.
  if (report?.startedNext !== undefined && mine?.startedNext !== report.startedNext) urgent = true;
  if (report) {
    const changed = content(report) !== content(mine);
    if (urgent || ((changed || comeBack) && age >= o.reportEveryMs) || age >= renewEveryMs) write = report;
    else
      wakeInMs = Math.max(
        0,
        Math.min(changed || comeBack ? o.reportEveryMs - age : Infinity, renewEveryMs - age),
      );
  }
  return {
    ledger,
    upstream: {
      ...(working ? { working } : {}),
      ...(early ? { next: early } : {}),
      ...(finished ? { finished } : {}),
    },
    report: write,
    revoked,
    drained: parent.status?.phase === 'Drained' && !working,
    ...(wakeInMs !== undefined ? { wakeInMs } : {}),
  };
}

/** The first `n` ranges of a set. */
const first = (set: RangeSet, n: number): RangeSet =>
  set.ranges.length <= n ? set : RangeSet.of(...set.ranges.slice(0, n));
