import type { Worklist, WorklistStatus } from '../api/v1alpha1/index.js';
import { formatHeld, parseHeld } from './assigned.js';
import { RangeSet } from './range-set.js';

/**
 * The ledger of a Worklist: who owns which items. Pure data and pure transitions; the controller
 * is its only writer and stores it in the Worklist's status under a resourceVersion precondition.
 *
 * Every offset in [0, total) is in exactly one of: completed, failed, the live part of one
 * assignment (its range minus what its worker already reported), one next range, one retry
 * group, or unassigned (everything else, never stored).
 *
 * A Block holds at most two ranges: the one its worker works on (`assignments`) and the one it
 * starts the moment it finishes that (`next`: double buffering, so no worker waits for a pass).
 * A next range is never started until its worker says so in the report that ends the current
 * one; only then is it promoted, and a new next can be handed out.
 */
export interface Ledger {
  readonly total: number;
  readonly completed: RangeSet;
  readonly failed: RangeSet;
  /** By Block name. */
  readonly assignments: ReadonlyMap<string, Assignment>;
  /**
   * The range each Block starts next, by Block name: only a Block with an assignment has one.
   * Nothing of it is reported yet and it has no lease of its own (its Block's assignment's counts).
   */
  readonly next: ReadonlyMap<string, Assignment>;
  /** Items to hand out again, by attempts already used (≥ 1). */
  readonly retry: ReadonlyMap<number, RangeSet>;
  /**
   * Ranges handed out so far, plus one: the next range's fencing token. Tokens need not be
   * secret: a report counts only when written after its range was handed out (`generation`).
   */
  readonly nextToken: number;
  /**
   * Blocks whose lease ran out, with their generation then: they get no range until their
   * generation moves on (their worker wrote again). Kept here, under the ledger's precondition,
   * not in the Blocks' own status, which the controller may read from a cache that lags.
   */
  readonly lost: ReadonlyMap<string, LostBlock>;
  /**
   * The offsets this Worklist may hand out, when not all of [0, total): a secondary Worklist's
   * are the parent ranges it works on (upstream.ts). Not stored as such: read from the status's
   * parent ranges (fromStatus), and set anew by every pass.
   */
  readonly scope?: RangeSet;
}

export interface LostBlock {
  /** The Block's generation when its lease ran out: a newer one is a sign of life. */
  readonly generation: number;
  /** Epoch ms when its lease ran out (0 when not recorded). */
  readonly since: number;
}

export interface Assignment {
  readonly block: string;
  /** First offset and item count of the contiguous range. */
  readonly index: number;
  readonly size: number;
  /** Fencing token: a report carrying another one is stale. */
  readonly token: number;
  /**
   * The Block's generation when the range was handed out: its worker can only report on the
   * range after it saw it, from a later generation. A report already there (written when the
   * Block was made) is no report on it.
   */
  readonly generation: number;
  /** Attempts used on these items counting this one (1 for fresh items). */
  readonly attempt: number;
  /** Offsets of the range already reported, done or failed. */
  readonly reported: RangeSet;
  /** Epoch milliseconds after which the range is taken back. */
  readonly leaseExpires: number;
  /**
   * Tail stealing: the controller asked the worker to start no item from this offset on, nor its
   * next range. Once the worker answered (its report's yieldFrom), the range ends here and the
   * rest went back to the pool; a range is asked once.
   */
  readonly yieldFrom?: number;
  /**
   * Of a next range: its worker said it started it before finishing the range before it (a
   * secondary Worklist hands out its items while the last ones of that range run). It is no
   * longer taken back on its own (an answer to an ask to yield keeps it): only with the range
   * before it, when its worker dies or stops.
   */
  readonly started?: boolean;
}

export interface Policy {
  readonly blockSize: number;
  readonly maxAttempts: number;
  readonly leaseMs: number;
}

/**
 * When a lease taken or renewed at `t` ends: a lease later, rounded up to a whole second, so that
 * the status writes it in whole seconds (see assigned.ts).
 */
export const leaseEnd = (t: number, policy: Policy): number => Math.ceil((t + policy.leaseMs) / 1000) * 1000;

export const emptyLedger = (total: number): Ledger => ({
  total,
  completed: RangeSet.EMPTY,
  failed: RangeSet.EMPTY,
  assignments: new Map(),
  next: new Map(),
  retry: new Map(),
  nextToken: 1,
  lost: new Map(),
});

/** Records that `block`'s lease ran out while it was at `generation`. */
export const markLost = (l: Ledger, block: string, generation: number, since: number): Ledger => ({
  ...l,
  lost: new Map(l.lost).set(block, { generation, since }),
});

export function forgetLost(l: Ledger, block: string): Ledger {
  if (!l.lost.has(block)) return l;
  const lost = new Map(l.lost);
  lost.delete(block);
  return { ...l, lost };
}

const rangeOf = (a: { index: number; size: number }) => RangeSet.span(a.index, a.index + a.size - 1);
/** What an assignment still holds: its range minus what was reported. */
export const liveItems = (a: Assignment) => rangeOf(a).subtract(a.reported);

/** What a Block holds: its range's unreported items and its next range. */
export function heldBy(l: Ledger, block: string): RangeSet {
  const a = l.assignments.get(block);
  const queued = l.next.get(block);
  return (a ? liveItems(a) : RangeSet.EMPTY).union(queued ? rangeOf(queued) : RangeSet.EMPTY);
}

/**
 * Every place an item can be but unassigned (the rest): completed, failed, the live part of each
 * assignment, each next range, each retry group. No item is in two of them (the property tests).
 */
export const places = (l: Ledger): RangeSet[] => [
  l.completed,
  l.failed,
  ...[...l.assignments.values()].map(liveItems),
  ...[...l.next.values()].map(rangeOf),
  ...l.retry.values(),
];

/** Offsets nobody holds and nobody needs to retry: fresh work (within the scope, if any). */
export const unassigned = (l: Ledger): RangeSet =>
  places(l).reduce((rest, place) => rest.subtract(place), l.scope ?? RangeSet.span(0, l.total - 1));

/** Items waiting to be handed out (within the scope, if any): never handed out, or back in the retry pool. */
export const poolSize = (l: Ledger): number =>
  unassigned(l).size +
  [...l.retry.values()].reduce((n, set) => n + (l.scope ? set.intersect(l.scope) : set).size, 0);

/** True when every item is completed or failed. */
export const isFinished = (l: Ledger) => l.completed.size + l.failed.size === l.total;

/** Items reported as having failed their last allowed attempt go to failed; others to the retry pool. */
function requeue(
  l: Ledger,
  items: RangeSet,
  attemptsUsed: number,
  policy: Policy,
): Pick<Ledger, 'failed' | 'retry'> {
  // Never tried (attemptsUsed 0): the items simply become unassigned again.
  if (items.isEmpty || attemptsUsed <= 0) return { failed: l.failed, retry: l.retry };
  if (attemptsUsed >= policy.maxAttempts) return { failed: l.failed.union(items), retry: l.retry };
  const retry = new Map(l.retry);
  retry.set(attemptsUsed, (retry.get(attemptsUsed) ?? RangeSet.EMPTY).union(items));
  return { failed: l.failed, retry };
}

/**
 * The next range to hand out, at most `most` items (default blockSize): retry-pool items first
 * (lowest offset first), else the first unassigned.
 */
function pickRange(
  l: Ledger,
  most: number,
): { range: RangeSet; index: number; size: number; attempts: number } | undefined {
  let pick: { start: number; end: number; attempts: number } | undefined;
  for (const [attempts, set] of l.retry) {
    const first = (l.scope ? set.intersect(l.scope) : set).ranges[0];
    if (first && (!pick || first.start < pick.start)) pick = { ...first, attempts };
  }
  if (!pick) {
    const first = unassigned(l).ranges[0];
    if (first) pick = { ...first, attempts: 0 };
  }
  if (!pick) return undefined;
  const size = Math.min(most, pick.end - pick.start + 1);
  return {
    range: RangeSet.span(pick.start, pick.start + size - 1),
    index: pick.start,
    size,
    attempts: pick.attempts,
  };
}

/** Takes a picked range out of the retry pool it came from (fresh items need nothing). */
function withoutPicked(l: Ledger, pick: { range: RangeSet; attempts: number }): Ledger['retry'] {
  if (pick.attempts === 0) return l.retry;
  const retry = new Map(l.retry);
  const rest = retry.get(pick.attempts)!.subtract(pick.range);
  if (rest.isEmpty) retry.delete(pick.attempts);
  else retry.set(pick.attempts, rest);
  return retry;
}

/** What a new range is given: the Block's generation now. */
export interface Given {
  generation?: number;
  /** Its most items (default: the block size). */
  size?: number;
}

function newAssignment(
  l: Ledger,
  block: string,
  pick: { index: number; size: number; attempts: number },
  given: Given,
  leaseExpires: number,
): Assignment {
  return {
    block,
    index: pick.index,
    size: pick.size,
    token: l.nextToken,
    generation: given.generation ?? 0,
    attempt: pick.attempts + 1,
    reported: RangeSet.EMPTY,
    leaseExpires,
  };
}

/**
 * Gives `block` a range to work on: retry-pool items first (lowest offset first), else the
 * first `blockSize` (or `given.size`) unassigned items. Undefined when the block already holds a range or nothing is left.
 */
export function assign(
  l: Ledger,
  block: string,
  policy: Policy,
  now: number,
  given: Given = {},
): { ledger: Ledger; assignment: Assignment } | undefined {
  if (l.assignments.has(block)) return undefined;
  const pick = pickRange(l, given.size ?? policy.blockSize);
  if (!pick) return undefined;
  const assignment = newAssignment(l, block, pick, given, leaseEnd(now, policy));
  const assignments = new Map(l.assignments).set(block, assignment);
  return {
    ledger: { ...l, assignments, retry: withoutPicked(l, pick), nextToken: l.nextToken + 1 },
    assignment,
  };
}

/**
 * Gives `block`, which works on a range, the range it starts next. Undefined when it holds no
 * range, already has a next one, or nothing is left.
 */
export function assignNext(
  l: Ledger,
  block: string,
  policy: Policy,
  given: Given = {},
): { ledger: Ledger; assignment: Assignment } | undefined {
  const current = l.assignments.get(block);
  // A Block asked to yield starts no next range: it would only give it back.
  if (!current || current.yieldFrom !== undefined || l.next.has(block)) return undefined;
  const pick = pickRange(l, given.size ?? policy.blockSize);
  if (!pick) return undefined;
  const assignment = newAssignment(l, block, pick, given, 0);
  const next = new Map(l.next).set(block, assignment);
  return {
    ledger: { ...l, next, retry: withoutPicked(l, pick), nextToken: l.nextToken + 1 },
    assignment,
  };
}

/** A worker's cumulative report on the range it holds, as written in its Block's spec.report. */
export interface Report {
  readonly token: number;
  /** The Block's generation carrying the report (compared with the assignment's). */
  readonly generation?: number;
  readonly done: RangeSet;
  readonly failed: RangeSet;
  /** The worker is finished with the range and wants the next. */
  readonly complete?: boolean;
  /** The worker gives back what it has not reported (it is shutting down, unless `goOn`). */
  readonly release?: boolean;
  /** With release: the worker goes on and wants another range (it cut this one short). */
  readonly goOn?: boolean;
  /** When the worker last said it is alive (epoch ms): renews the lease without new items. */
  readonly renewedAt?: number;
  /**
   * On a report whose token is the Block's next range: the final report on the range it
   * finished before starting that one (the switch, in one write).
   */
  readonly finished?: FinishedReport;
  /**
   * The worker starts no item of the range from this offset on, nor its next range (its answer
   * to the controller's yieldFrom): what it gave up goes back to the pool, costing nothing.
   */
  readonly yieldFrom?: number;
  /**
   * On a report on the current range: the token of the Block's next range, which the worker has
   * started although the current one is not finished (startNext). Carried by every report on
   * the range after.
   */
  readonly startedNext?: number;
}

/** The final report on a range a worker finished: every item of it done or failed. */
export interface FinishedReport {
  readonly token: number;
  readonly done: RangeSet;
  readonly failed: RangeSet;
}

export type ReportOutcome = 'applied' | 'stale';

/**
 * Folds a report into the ledger. Idempotent: reports are cumulative, and what was already
 * reported is not counted again. A report with a token other than the block's current
 * assignment's is stale and changes nothing (the range may be someone else's by now), unless it
 * is the switch: the token of the Block's next range, carrying the final report on the current
 * one. Then the current range is folded as complete, the next one becomes current, and the
 * report is folded on it.
 */
export function applyReport(
  l: Ledger,
  block: string,
  report: Report,
  policy: Policy,
  now: number,
): { ledger: Ledger; outcome: ReportOutcome } {
  const stale = { ledger: l, outcome: 'stale' as const };
  const queued = l.next.get(block);
  if (queued && queued.token === report.token) {
    // Fenced like any report: a switch written before the next range was handed out is none.
    if (report.generation !== undefined && report.generation <= queued.generation) return stale;
    const { finished, ...onNext } = report;
    if (!finished || l.assignments.get(block)?.token !== finished.token) return stale;
    const switched = applyReport(
      l,
      block,
      { ...finished, generation: report.generation, renewedAt: report.renewedAt, complete: true },
      policy,
      now,
    );
    if (switched.outcome === 'stale') return stale;
    return applyReport(switched.ledger, block, onNext, policy, now);
  }
  const current = l.assignments.get(block);
  if (!current || current.token !== report.token) return stale;
  if (report.generation !== undefined && report.generation <= current.generation) return stale;
  // Before an answer to an ask to yield, which gives back only a next range never started.
  if (report.startedNext !== undefined) l = startNext(l, block, report.startedNext, report.generation);
  if (report.yieldFrom !== undefined) {
    l = yieldTail(l, current, report.yieldFrom, policy);
    // Nothing of the range is left (it yielded even what it was asked to keep): nothing to fold.
    if (!l.assignments.has(block)) return { ledger: l, outcome: 'applied' };
  }
  const a = l.assignments.get(block)!;
  const live = liveItems(a);
  const done = report.done.intersect(live);
  const failedNow = report.failed.intersect(live).subtract(done);
  let next: Ledger = {
    ...l,
    completed: l.completed.union(done),
    ...requeue(l, failedNow, a.attempt, policy),
  };
  const reported = a.reported.union(done).union(failedNow);
  // The lease runs from the worker's last renewTime (never later than our own clock): that is
  // when it was alive, however late the report is folded. A report without one renews nothing,
  // and a report read again (reports stay in the Block's spec) renews nothing new, so a worker
  // that hangs after a partial report still loses its range.
  const renewed = report.renewedAt === undefined ? 0 : leaseEnd(Math.min(report.renewedAt, now), policy);
  const leaseExpires = Math.max(a.leaseExpires, renewed);
  const updated: Assignment = { ...a, reported, leaseExpires };
  if (report.complete || report.release) {
    // Unreported items of a released range were never tried: not an attempt. Of a "complete"
    // range, they were (the worker says it is done with them): that costs the attempt.
    const attemptsUsed = report.release && !report.complete ? a.attempt - 1 : a.attempt;
    // A worker that goes on starts its next range; one that stops gives it back untouched.
    next = endAssignment(
      next,
      updated,
      attemptsUsed,
      policy,
      report.complete || report.goOn ? now : undefined,
    );
  } else {
    next = { ...next, assignments: new Map(next.assignments).set(block, updated) };
  }
  return { ledger: next, outcome: 'applied' };
}

/**
 * The worker of `block` says it started its next range (`token`) before finishing the current
 * one. Fenced like a report: a word written before the next range was handed out is about none.
 */
function startNext(l: Ledger, block: string, token: number, generation: number | undefined): Ledger {
  const queued = l.next.get(block);
  if (!queued || queued.token !== token || queued.started) return l;
  if (generation !== undefined && generation <= queued.generation) return l;
  return { ...l, next: new Map(l.next).set(block, { ...queued, started: true }) };
}

/** True when `block`'s next range is handed out and its worker has not said it started it. */
export const unstartedNext = (l: Ledger, block: string): boolean => {
  const queued = l.next.get(block);
  return queued !== undefined && !queued.started;
};

/**
 * Asks `block`'s worker to start no item from `from` on, nor its next range, so that they can go
 * to an idle worker (tail stealing). Nothing changes hands yet: only the worker knows which items
 * it started, so they go back when it answers (its report's yieldFrom, folded by applyReport).
 * Undefined when the Block holds no range, or was asked already.
 */
export function askToYield(l: Ledger, block: string, from: number): Ledger | undefined {
  const a = l.assignments.get(block);
  if (!a || a.yieldFrom !== undefined) return undefined;
  const at = Math.min(Math.max(from, a.index), a.index + a.size);
  return { ...l, assignments: new Map(l.assignments).set(block, { ...a, yieldFrom: at }) };
}

/** True while the Block's worker has not answered its ask to yield. */
export const asked = (l: Ledger, a: Assignment): boolean =>
  a.yieldFrom !== undefined && (a.yieldFrom < a.index + a.size || unstartedNext(l, a.block));

/**
 * The worker's answer to an ask to yield: it starts nothing from `from` on (clamped to its
 * range), nor its next range. Both go back to the pool costing no attempt (never started); the
 * range now ends at `from`, and the answer is kept as its yieldFrom (a range is asked once). A
 * next range its worker already started stays its own.
 */
function yieldTail(l: Ledger, a: Assignment, from: number, policy: Policy): Ledger {
  const end = a.index + a.size;
  const at = Math.min(Math.max(from, a.index), end);
  const tail = at < end ? RangeSet.span(at, end - 1).subtract(a.reported) : RangeSet.EMPTY;
  const kept = at > a.index ? RangeSet.span(a.index, at - 1) : RangeSet.EMPTY;
  const queued = l.next.get(a.block);
  const next = new Map(l.next);
  if (queued && !queued.started) next.delete(a.block);
  let out: Ledger = { ...l, next };
  out = { ...out, ...requeue(out, tail, a.attempt - 1, policy) };
  if (queued && !queued.started)
    out = { ...out, ...requeue(out, rangeOf(queued), queued.attempt - 1, policy) };
  const assignments = new Map(out.assignments);
  // Nothing of the range kept: a next range it started becomes the range it works on.
  if (kept.isEmpty && queued?.started) {
    next.delete(a.block);
    assignments.set(a.block, { ...current(queued), leaseExpires: a.leaseExpires });
  } else if (kept.isEmpty) assignments.delete(a.block);
  else
    assignments.set(a.block, {
      ...a,
      size: at - a.index,
      reported: a.reported.intersect(kept),
      yieldFrom: at,
    });
  return { ...out, assignments };
}

/**
 * Puts completed or failed items back into the pool as fresh work (attempts start again), for
 * `kubectl teamtask retry`. Items held by a worker or waiting in the retry pool are left as they
 * are: they will run anyway. Returns the items actually put back.
 */
export function putBack(l: Ledger, items: RangeSet): { ledger: Ledger; putBack: RangeSet } {
  const back = items.intersect(l.completed.union(l.failed));
  return {
    ledger: { ...l, completed: l.completed.subtract(back), failed: l.failed.subtract(back) },
    putBack: back,
  };
}

/**
 * The worker behind `block` is gone (pod failed or deleted, or its lease ran out): what it held
 * goes back, costing the attempt; its next range, never started, goes back as it was.
 */
export function reclaim(l: Ledger, block: string, policy: Policy): Ledger {
  const a = l.assignments.get(block);
  return a ? endAssignment(l, a, a.attempt, policy) : l;
}

/** Takes back every range whose lease ran out by `now`; returns the ledger and the blocks affected. */
export function expireLeases(l: Ledger, policy: Policy, now: number): { ledger: Ledger; expired: string[] } {
  const expired = [...l.assignments.values()].filter((a) => a.leaseExpires <= now).map((a) => a.block);
  return { ledger: expired.reduce((acc, b) => reclaim(acc, b, policy), l), expired };
}

/** A next range as the range its Block works on: `started` is a next range's mark only. */
function current({ started: _, ...a }: Assignment): Assignment {
  return a;
}

/**
 * Ends a Block's assignment: its unreported items go back (`attemptsUsed` counted). Its next
 * range then becomes its assignment, leased from `promoteAt`, or, without `promoteAt`, goes back
 * too, costing nothing: never started, or started early by a secondary Worklist, which hands a
 * next range's items out little by little (most of it never ran, and a secondary does not die
 * of its items).
 */
function endAssignment(
  l: Ledger,
  a: Assignment,
  attemptsUsed: number,
  policy: Policy,
  promoteAt?: number,
): Ledger {
  const assignments = new Map(l.assignments);
  assignments.delete(a.block);
  const queued = l.next.get(a.block);
  const next = new Map(l.next);
  next.delete(a.block);
  let out: Ledger = { ...l, assignments, next };
  out = { ...out, ...requeue(out, liveItems(a), attemptsUsed, policy) };
  if (!queued) return out;
  if (promoteAt !== undefined) {
    return {
      ...out,
      assignments: new Map(assignments).set(a.block, {
        ...current(queued),
        leaseExpires: leaseEnd(promoteAt, policy),
      }),
    };
  }
  return { ...out, ...requeue(out, rangeOf(queued), queued.attempt - 1, policy) };
}

/**
 * The ledger part of a Worklist status; counters included so `kubectl get` needs no arithmetic.
 * `worklist` is the Worklist's name: a Block named after it is written without it.
 */
export function toStatus(
  l: Ledger,
  worklist: string,
): Required<
  Pick<
    WorklistStatus,
    | 'totalItems'
    | 'completedItems'
    | 'failedItems'
    | 'completed'
    | 'failed'
    | 'assigned'
    | 'retry'
    | 'nextToken'
    | 'lost'
  >
> &
  Pick<WorklistStatus, 'leasesFrom'> {
  const out = [...l.assignments.values()].sort((x, y) => x.index - y.index);
  const leasesFrom = Math.min(...out.map((a) => a.leaseExpires));
  return {
    totalItems: l.total,
    completedItems: l.completed.size,
    failedItems: l.failed.size,
    completed: l.completed.toString(),
    failed: l.failed.toString(),
    assigned: out.map((a) => formatHeld({ assignment: a, next: l.next.get(a.block) }, worklist, leasesFrom)),
    leasesFrom: out.length ? new Date(leasesFrom).toISOString() : undefined,
    retry: [...l.retry.entries()]
      .sort(([x], [y]) => x - y)
      .map(([attempts, set]) => ({ attempts, ranges: set.toString() })),
    nextToken: l.nextToken,
    lost: [...l.lost.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([block, { generation, since }]) => ({
        block,
        generation,
        ...(since ? { since: new Date(since).toISOString() } : {}),
      })),
  };
}

/**
 * Rebuilds the ledger from a Worklist status (after a controller restart, or from the informer
 * cache); throws AssignedSyntaxError on a line of status.assigned that does not parse. A
 * secondary's (`secondary`) is scoped to the parent ranges its status says it works on: none, so
 * nothing to hand out, until it has one.
 */
export function fromStatus(
  total: number,
  s: WorklistStatus | undefined,
  worklist: string,
  secondary = false,
): Ledger {
  const scope = secondary ? { scope: upstreamScope(s?.upstream) } : {};
  if (!s) return { ...emptyLedger(total), ...scope };
  const leasesFrom = s.leasesFrom ? Date.parse(s.leasesFrom) : 0;
  const held = (s.assigned ?? []).map((line) => parseHeld(line, worklist, leasesFrom));
  return {
    total,
    completed: RangeSet.parse(s.completed ?? ''),
    failed: RangeSet.parse(s.failed ?? ''),
    assignments: new Map(held.map((h) => [h.assignment.block, h.assignment])),
    next: new Map(held.flatMap((h) => (h.next ? [[h.assignment.block, h.next] as const] : []))),
    retry: new Map((s.retry ?? []).map((r) => [r.attempts, RangeSet.parse(r.ranges)])),
    nextToken: s.nextToken ?? 1,
    lost: new Map(
      (s.lost ?? []).map((x) => [
        x.block,
        { generation: x.generation, since: x.since ? Date.parse(x.since) : 0 },
      ]),
    ),
    ...scope,
  };
}

/**
 * The parent ranges a secondary's status says it works on: the current one and the next it
 * started. (A tail it yielded counts until its parent folds the answer, in the parent's next pass.)
 */
function upstreamScope(u: WorklistStatus['upstream']): RangeSet {
  return [u?.working, u?.next].reduce<RangeSet>(
    (scope, r) => (r ? scope.union(rangeOf(r)) : scope),
    RangeSet.EMPTY,
  );
}

/**
 * The ledger a Worklist's status holds (of `total` items: the status's count by default), for
 * the controller's pass and for readers (printers, a secondary reading its parent): empty before
 * the first pass.
 */
export const ledgerOf = (w: Worklist, total = w.status?.totalItems ?? 0): Ledger =>
  fromStatus(total, w.status, w.metadata.name!, w.spec.source.worklist !== undefined);
