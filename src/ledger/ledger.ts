import type { WorklistStatus } from '../api/v1alpha1/index.js';
import { RangeSet } from './range-set.js';

/**
 * The ledger of a Worklist: who owns which items. Pure data and pure transitions; the controller
 * is its only writer and stores it in the Worklist's status under a resourceVersion precondition.
 *
 * Every offset in [0, total) is in exactly one of: completed, failed, the live part of one
 * assignment (its range minus what its worker already reported), one retry group, or unassigned
 * (everything else, never stored).
 */
export interface Ledger {
  readonly total: number;
  readonly completed: RangeSet;
  readonly failed: RangeSet;
  /** By Block name. */
  readonly assignments: ReadonlyMap<string, Assignment>;
  /** Items to hand out again, by attempts already used (≥ 1). */
  readonly retry: ReadonlyMap<number, RangeSet>;
  /** Ranges handed out so far, plus one: the token of the next one unless tokens come from elsewhere. */
  readonly nextToken: number;
  /**
   * Blocks whose lease ran out, with their generation then: they get no range until their
   * generation moves on (their worker wrote again). Kept here, under the ledger's precondition,
   * not in the Blocks' own status, which the controller may read from a cache that lags.
   */
  readonly lost: ReadonlyMap<string, LostBlock>;
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
}

export interface Policy {
  readonly blockSize: number;
  readonly maxAttempts: number;
  readonly leaseMs: number;
}

export const emptyLedger = (total: number): Ledger => ({
  total,
  completed: RangeSet.EMPTY,
  failed: RangeSet.EMPTY,
  assignments: new Map(),
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

const rangeOf = (a: Assignment) => RangeSet.span(a.index, a.index + a.size - 1);
/** What an assignment still holds: its range minus what was reported. */
export const liveItems = (a: Assignment) => rangeOf(a).subtract(a.reported);

const union = (sets: Iterable<RangeSet>) => [...sets].reduce((acc, s) => acc.union(s), RangeSet.EMPTY);

/** Offsets nobody holds and nobody needs to retry: fresh work. */
export function unassigned(l: Ledger): RangeSet {
  return RangeSet.span(0, l.total - 1)
    .subtract(l.completed)
    .subtract(l.failed)
    .subtract(union([...l.assignments.values()].map(liveItems)))
    .subtract(union(l.retry.values()));
}

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
 * Gives `block` its next range: retry-pool items first (lowest offset first), else the first
 * `blockSize` unassigned items. Undefined when the block already holds a range or nothing is left.
 */
export function assign(
  l: Ledger,
  block: string,
  policy: Policy,
  now: number,
  /** The Block's generation now, and the token to give the range (default: nextToken). */
  given: { generation?: number; token?: number } = {},
): { ledger: Ledger; assignment: Assignment } | undefined {
  if (l.assignments.has(block)) return undefined;
  let pick: { start: number; end: number; attempts: number } | undefined;
  for (const [attempts, set] of l.retry) {
    const first = set.ranges[0];
    if (first && (!pick || first.start < pick.start)) pick = { ...first, attempts };
  }
  if (!pick) {
    const first = unassigned(l).ranges[0];
    if (first) pick = { ...first, attempts: 0 };
  }
  if (!pick) return undefined;
  const size = Math.min(policy.blockSize, pick.end - pick.start + 1);
  const range = RangeSet.span(pick.start, pick.start + size - 1);
  const retry = new Map(l.retry);
  if (pick.attempts > 0) {
    const rest = retry.get(pick.attempts)!.subtract(range);
    if (rest.isEmpty) retry.delete(pick.attempts);
    else retry.set(pick.attempts, rest);
  }
  const assignment: Assignment = {
    block,
    index: pick.start,
    size,
    token: given.token ?? l.nextToken,
    generation: given.generation ?? 0,
    attempt: pick.attempts + 1,
    reported: RangeSet.EMPTY,
    leaseExpires: now + policy.leaseMs,
  };
  const assignments = new Map(l.assignments).set(block, assignment);
  return { ledger: { ...l, assignments, retry, nextToken: l.nextToken + 1 }, assignment };
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
  /** The worker gives back what it has not reported (it is shutting down). */
  readonly release?: boolean;
  /** When the worker last said it is alive (epoch ms): renews the lease without new items. */
  readonly renewedAt?: number;
}

export type ReportOutcome = 'applied' | 'stale';

/**
 * Folds a report into the ledger. Idempotent: reports are cumulative, and what was already
 * reported is not counted again. A report with a token other than the block's current
 * assignment's is stale and changes nothing (the range may be someone else's by now).
 */
export function applyReport(
  l: Ledger,
  block: string,
  report: Report,
  policy: Policy,
  now: number,
): { ledger: Ledger; outcome: ReportOutcome } {
  const a = l.assignments.get(block);
  if (!a || a.token !== report.token) return { ledger: l, outcome: 'stale' };
  if (report.generation !== undefined && report.generation <= a.generation)
    return { ledger: l, outcome: 'stale' };
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
  const renewed = report.renewedAt === undefined ? 0 : Math.min(report.renewedAt, now) + policy.leaseMs;
  const leaseExpires = Math.max(a.leaseExpires, renewed);
  const updated: Assignment = { ...a, reported, leaseExpires };
  if (report.complete || report.release) {
    // Unreported items of a released range were never tried: not an attempt. Of a "complete"
    // range, they were (the worker says it is done with them): that costs the attempt.
    next = removeAssignment(
      next,
      updated,
      report.release && !report.complete ? a.attempt - 1 : a.attempt,
      policy,
    );
  } else {
    next = { ...next, assignments: new Map(next.assignments).set(block, updated) };
  }
  return { ledger: next, outcome: 'applied' };
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

/** The worker behind `block` is gone (pod failed or deleted): what it held goes back, costing the attempt. */
export function reclaim(l: Ledger, block: string, policy: Policy): Ledger {
  const a = l.assignments.get(block);
  return a ? removeAssignment(l, a, a.attempt, policy) : l;
}

/** Takes back every range whose lease ran out by `now`; returns the ledger and the blocks affected. */
export function expireLeases(l: Ledger, policy: Policy, now: number): { ledger: Ledger; expired: string[] } {
  const expired = [...l.assignments.values()].filter((a) => a.leaseExpires <= now).map((a) => a.block);
  return { ledger: expired.reduce((acc, b) => reclaim(acc, b, policy), l), expired };
}

function removeAssignment(l: Ledger, a: Assignment, attemptsUsed: number, policy: Policy): Ledger {
  const assignments = new Map(l.assignments);
  assignments.delete(a.block);
  return { ...l, assignments, ...requeue({ ...l, assignments }, liveItems(a), attemptsUsed, policy) };
}

/** The ledger part of a Worklist status; counters included so `kubectl get` needs no arithmetic. */
export function toStatus(
  l: Ledger,
): Required<
  Pick<
    WorklistStatus,
    | 'totalItems'
    | 'completedItems'
    | 'failedItems'
    | 'completed'
    | 'failed'
    | 'assignments'
    | 'retry'
    | 'nextToken'
    | 'lost'
  >
> {
  return {
    totalItems: l.total,
    completedItems: l.completed.size,
    failedItems: l.failed.size,
    completed: l.completed.toString(),
    failed: l.failed.toString(),
    assignments: [...l.assignments.values()]
      .sort((x, y) => x.index - y.index)
      .map((a) => ({
        block: a.block,
        index: a.index,
        size: a.size,
        token: a.token,
        generation: a.generation,
        attempt: a.attempt,
        done: a.reported.toString(),
        leaseExpires: new Date(a.leaseExpires).toISOString(),
      })),
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

/** Rebuilds the ledger from a Worklist status (after a controller restart, or from the informer cache). */
export function fromStatus(total: number, s: WorklistStatus | undefined): Ledger {
  if (!s) return emptyLedger(total);
  return {
    total,
    completed: RangeSet.parse(s.completed ?? ''),
    failed: RangeSet.parse(s.failed ?? ''),
    assignments: new Map(
      (s.assignments ?? []).map((a) => [
        a.block,
        {
          block: a.block,
          index: a.index,
          size: a.size,
          token: a.token,
          generation: a.generation ?? 0,
          attempt: a.attempt ?? 1,
          reported: RangeSet.parse(a.done ?? ''),
          leaseExpires: a.leaseExpires ? Date.parse(a.leaseExpires) : 0,
        },
      ]),
    ),
    retry: new Map((s.retry ?? []).map((r) => [r.attempts, RangeSet.parse(r.ranges)])),
    nextToken: s.nextToken ?? 1,
    lost: new Map(
      (s.lost ?? []).map((x) => [
        x.block,
        { generation: x.generation, since: x.since ? Date.parse(x.since) : 0 },
      ]),
    ),
  };
}
