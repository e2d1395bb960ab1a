import {
  asksRangeSize,
  BLOCK_FINALIZER,
  NO_RANGE_TOKEN,
  type Block,
  type BlockSpecReport,
  type BlockStatus,
  type Worklist,
  type WorklistStatus,
  WorklistConditions,
} from '../api/v1alpha1/index.js';
import { isTrue } from '../api/conditions.js';
import { effectiveSpec } from '../api/defaults.js';
import { createdAt } from '../api/meta.js';
import { POD_LABEL } from '../api/names.js';
import {
  applyReport,
  askToYield,
  asked,
  assign,
  assignNext,
  expireLeases,
  forgetLost,
  heldBy,
  isFinished,
  ledgerOf,
  markLost,
  poolSize,
  putBack,
  reclaim,
  unassigned,
  unstartedNext,
  type Ledger,
  type Policy,
  type Report,
  type ReportOutcome,
} from '../ledger/ledger.js';
import { ABANDONED_BLOCK_MS } from '../ledger/limits.js';
import { RangeSet } from '../ledger/range-set.js';
import { rangeSize } from '../ledger/range-size.js';
import { planSteals } from '../ledger/steal.js';
import {
  upstreamStep,
  UPSTREAM_REPORT_EVERY_MS,
  type Upstream,
  type UpstreamStep,
} from '../ledger/upstream.js';
import { blockStatus, isReleased, sameBlockStatus } from './block-status.js';
import { CONFIGMAP_TTL_MS, type SourceState } from './source.js';
import { failure, transitionEvents, unreadableSourceStatus, worklistStatus } from './worklist-status.js';

/** What the controller sees of one Worklist, from its caches. */
export interface Observed {
  readonly worklist: Worklist;
  /** The Blocks whose spec.worklist names it, including those being deleted. */
  readonly blocks: readonly Block[];
  /** Blocks whose worker is known dead (its pod failed or is gone: pods.ts). */
  readonly deadWorkers: ReadonlySet<string>;
  /** When a Block waiting for its pod to show up may count as dead (ms from now: pods.ts). */
  readonly recheckWorkersAfterMs?: number;
  /**
   * Number of items; for a ConfigMap source, counted by the caller from the ConfigMap. Undefined
   * when never counted and unreadable now (`source.problem` says why): no ledger yet.
   */
  readonly totalItems: number | undefined;
  /** The namespace's ResourceQuotas on Blocks or pods (what `QuotaLimited` is made of). */
  readonly quotas?: readonly QuotaUse[];
  /** How many new ranges the assignment rate limits allow now (default: no limit). */
  readonly assignmentBudget?: number;
  /** When the rate limits allow the next assignment (ms from now), for a throttled plan's requeue. */
  readonly assignmentWaitMs?: number;
  /** For a ConfigMap source: what the controller found when it last read it, and the cluster's limit. */
  readonly source?: SourceState;
  /** For a secondary (spec.source.worklist): where it stands with its parent (docs/secondary.md). */
  readonly upstream?: ObservedUpstream;
  /**
   * When this controller first saw each Block (by name), on its own clock: a Block made, by the
   * API server's clock, after that (the controller's clock behind) counts as made then.
   */
  readonly seenAt?: ReadonlyMap<string, number>;
}

/** A secondary's parent as the controller sees it. */
export interface ObservedUpstream {
  /** Its Block in the parent's namespace; undefined until made. */
  readonly block?: Block;
  /** The parent's lease: a report upward renews it. */
  readonly parentLeaseMs: number;
  /** What the parent's ledger has settled (ledger/upstream.ts, settledIn). */
  readonly settled?: RangeSet;
  /**
   * The parent's items not handed out yet (its pool), from a view of its status that already
   * holds the next range its Block shows (ledger/upstream.ts, parentPoolAfter).
   */
  readonly parentPool?: number;
}

/** One quota'd resource of a ResourceQuota: `count/blocks.teamtask.dev` 3 of 3, say. */
export interface QuotaUse {
  readonly quota: string;
  readonly resource: string;
  readonly hard: number;
  readonly used: number;
}

/** An Event to record on the Worklist, once its ledger write succeeded. */
export interface WorklistEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * A worker report the plan looked at: the caller counts stale ones, and tells of malformed ones,
 * once per Block generation (a report stays in its Block's spec and is seen again and again).
 */
export interface ReportSeen {
  readonly block: string;
  readonly generation: number;
  readonly outcome: ReportOutcome | 'malformed';
  /** What is wrong with a malformed report. */
  readonly problem?: string;
}

/** What to write: the Worklist status first (the ledger, under a resourceVersion precondition), then the Blocks'. */
export interface Plan {
  readonly status: WorklistStatus;
  /** Block name → its new status, only for Blocks whose status changes. */
  readonly blockStatuses: ReadonlyMap<string, BlockStatus>;
  /** Blocks whose range was taken back: worker dead, Block deleted, or lease expired. */
  readonly reclaimed: readonly string[];
  /** Blocks of dead workers, to delete once the ledger is written (their pods do not come back). */
  readonly deleteBlocks: readonly string[];
  /** Blocks being deleted whose last report is in this ledger: their finalizer can go. */
  readonly finalize: readonly string[];
  /** New ranges handed out by this plan (what the rate limits count). */
  readonly assigned: number;
  /** Workers this plan asks to yield the unstarted tail of their range to an idle one. */
  readonly stealAsks: number;
  /** True when a Block waits only because the rate limits allow no more assignments now. */
  readonly throttled: boolean;
  readonly reports: readonly ReportSeen[];
  readonly events: readonly WorklistEvent[];
  /** A secondary's Block in the parent's namespace: make it (it has none yet), and the report to write on it. */
  readonly upstream?: { readonly create: boolean; readonly report?: BlockSpecReport };
  /**
   * When to look again even if nothing changes, like controller-runtime's Result.RequeueAfter:
   * the earliest of half a lease before (or at) a lease's expiry, an abandoned Block's deadline,
   * a pod's grace period, the rate limit's next token, and the next look at a ConfigMap source.
   */
  readonly requeueAfterMs?: number;
}

export function policyOf(w: Worklist): Policy {
  return {
    blockSize: w.spec.blockSize,
    maxAttempts: effectiveSpec(w.spec).maxAttempts,
    leaseMs: effectiveSpec(w.spec).leaseSeconds * 1000,
  };
}

/** One Worklist's Blocks as a pass sees them. */
interface Blocks {
  /** Every Block naming the Worklist, by name, those being deleted included. */
  readonly present: ReadonlyMap<string, Block>;
  readonly deleting: ReadonlySet<string>;
  /** Present and not being deleted. */
  readonly live: ReadonlyMap<string, Block>;
}

/**
 * The controller's whole decision for one Worklist, level-triggered: from what is observed now,
 * the next ledger, every Block's status, and when to look again. Pure: no I/O, time passed in.
 * Each phase below is one step of the ledger's life, in the order DESIGN.md §3 fixes.
 */
export function reconcile(o: Observed, now: Date): Plan {
  if (o.totalItems === undefined) return unreadableSourcePlan(o, now);
  const policy = policyOf(o.worklist);
  const t = now.getTime();
  const before = ledgerOf(o.worklist, o.totalItems);
  const present = new Map(o.blocks.map((b) => [b.metadata.name!, b]));
  const deleting = new Set(o.blocks.filter((b) => b.metadata.deletionTimestamp).map((b) => b.metadata.name!));
  const blocks: Blocks = {
    present,
    deleting,
    live: new Map([...present].filter(([name]) => !deleting.has(name))),
  };

  const folded = foldReports(before, o, blocks, policy, t);
  let ledger = forgetRecoveredLost(folded.ledger, blocks);
  const reclaimed = reclaimGone(ledger, o, blocks, policy, t);
  ledger = reclaimed.ledger;
  const retried = applyRetry(ledger, o.worklist);
  ledger = retried.ledger;
  // A secondary's place in its parent's ledger, once its own workers' reports are folded (what
  // they finished goes upward in this pass); its ledger is scoped to the parent's range.
  const up = o.worklist.spec.source.worklist ? upstream(ledger, o, blocks, t) : undefined;
  if (up) ledger = up.ledger;
  const stop = failure(o.worklist, ledger, o.source?.maxBlocks);
  const assigned = assignWaiting(ledger, o, blocks, policy, t, stop !== undefined, folded.ended);
  ledger = assigned.ledger;
  // Only a worker that says it runs items one by one can give up part of a running range; any
  // can give up its next range.
  const splittable = (name: string) => blocks.present.get(name)?.spec.splittable === true;
  const steals = planSteals(ledger, assigned, splittable, policy.leaseMs, t);
  for (const ask of steals.asks) ledger = askToYield(ledger, ask.block, ask.from) ?? ledger;

  // Drained (the worker may exit) only once every item is completed or failed: a range out now
  // may still come back (its worker dies, its lease runs out) and need an idle worker. A
  // secondary: once its parent has nothing left for it and none of its ranges is out.
  const drained = up ? up.drained && ledger.assignments.size === 0 : isFinished(ledger);
  const situation = {
    drained,
    suspended: o.worklist.spec.suspend === true,
    failed: stop?.reason,
    allOut: unassigned(ledger).isEmpty && ledger.retry.size === 0,
    throttled: assigned.throttled,
  };
  const blockStatuses = new Map<string, BlockStatus>();
  for (const [name, b] of blocks.live) {
    if (o.deadWorkers.has(name)) continue;
    const next = blockStatus(ledger, b, situation);
    if (!sameBlockStatus(b.status, next)) blockStatuses.set(name, next);
  }

  // Blocks of workers outside a pod that are gone (nothing else tells): Lost too long, or left
  // behind too long after the Worklist finished.
  const finishedAt = o.worklist.status?.completionTime
    ? Date.parse(o.worklist.status.completionTime)
    : undefined;
  const abandoned = abandonedBlocks(o, blocks.live, ledger, drained ? finishedAt : undefined, t);
  const events = [
    ...reclaimed.events,
    ...retried.events,
    ...[...abandoned].map(([name, why]): WorklistEvent => ({
      type: 'Normal',
      reason: 'BlockRemoved',
      message: `block ${name}: ${why}: deleted`,
    })),
  ];
  const newlyFailed = ledger.failed.subtract(before.failed);
  if (!newlyFailed.isEmpty) {
    events.push({
      type: 'Warning',
      reason: 'ItemsFailed',
      message: `${newlyFailed.size} item(s) failed ${policy.maxAttempts} attempt(s): offsets ${newlyFailed.toString()}${folded.failureReason ? `; last failure, ${folded.failureReason}` : ''}`,
    });
  }
  // Workers: Blocks whose worker may be at work; none once every item is done.
  const workers = drained ? 0 : atWork(o, blocks, ledger);
  const status = {
    ...worklistStatus(o.worklist, ledger, workers, o.quotas ?? [], stop, o.source?.problem, now, drained),
    retryApplied: retried.retryApplied,
    ...(up ? { upstream: up.upstream } : {}),
  };
  events.push(...transitionEvents(o.worklist.status, status));
  const upward = o.upstream && up ? upstreamPlan(o, o.upstream, up, status, blocks, ledger, t) : undefined;

  return {
    status,
    blockStatuses,
    reclaimed: reclaimed.names,
    deleteBlocks: [...blocks.live.keys()].filter((name) => o.deadWorkers.has(name) || abandoned.has(name)),
    finalize: o.blocks
      .filter((b) => deleting.has(b.metadata.name!) && b.metadata.finalizers?.includes(BLOCK_FINALIZER))
      .map((b) => b.metadata.name!),
    assigned: assigned.count,
    stealAsks: steals.asks.length,
    throttled: assigned.throttled,
    reports: folded.reports,
    events,
    ...(upward ? { upstream: upward.plan } : {}),
    requeueAfterMs: requeueAfter(
      ledger,
      policy.leaseMs,
      t,
      abandonedAt(o, blocks.live, ledger, drained ? (finishedAt ?? t) : undefined),
      [
        o.recheckWorkersAfterMs,
        assigned.throttled ? o.assignmentWaitMs : undefined,
        // An idle Block waits for a range old enough to be stolen from.
        plus(steals.wakeInMs, REQUEUE_MARGIN_MS),
        // An item ConfigMap can go at any time: looked at again while the Worklist runs.
        o.source && !status.completionTime ? CONFIGMAP_TTL_MS : undefined,
        // A report upward that falls due with nothing changing (a renewal, held-back progress).
        plus(up?.wakeInMs, REQUEUE_MARGIN_MS),
        // A secondary whose workers are still arriving asks its parent once they stop.
        plus(upward?.settleInMs, REQUEUE_MARGIN_MS),
      ],
    ),
  };
}

/**
 * A Worklist whose ConfigMap source was never counted and cannot be read now: no ledger yet,
 * only the Ready condition saying why, and another look when the ConfigMap may be back.
 */
function unreadableSourcePlan(o: Observed, now: Date): Plan {
  const problem = o.source?.problem;
  if (!problem) throw new Error('reconcile: no item count and no reason why');
  const { status, events } = unreadableSourceStatus(o.worklist, problem, now);
  return {
    status,
    blockStatuses: new Map(),
    reclaimed: [],
    deleteBlocks: [],
    finalize: [],
    assigned: 0,
    stealAsks: 0,
    throttled: false,
    reports: [],
    events,
    requeueAfterMs: CONFIGMAP_TTL_MS,
  };
}

/**
 * Reports first, from every Block still there (a dead worker's or a deleted Block's last report
 * included): what was reported done is never run again. Reports are cumulative and stay in the
 * Block's spec, so one whose token is not the Block's current range (already folded, or a range
 * it lost) changes nothing.
 *
 * Partial progress of a live range is folded lazily: the report waits in the Block's spec (where
 * the finalizer keeps it) until the range ends, its holder dies or is deleted, or half the lease
 * is gone. So a progress report costs the worker's own small write, not a write of the whole
 * Worklist, yet nothing reported is lost and the lease is renewed in time.
 */
function foldReports(
  ledger: Ledger,
  o: Observed,
  { present, deleting }: Blocks,
  policy: Policy,
  t: number,
): { ledger: Ledger; reports: ReportSeen[]; failureReason?: string; ended: Set<string> } {
  const reports: ReportSeen[] = [];
  const ended = new Set<string>();
  let failureReason: string | undefined;
  for (const [name, b] of present) {
    const r = b.spec.report;
    if (!r) continue;
    const held = ledger.assignments.get(name);
    const partial = !r.complete && !r.release && held?.token === r.token;
    // A worker's answer to an ask to yield is folded at once: an idle worker waits for it. So is
    // its word that it started its next range: until then that range may be asked for whole.
    const due =
      deleting.has(name) ||
      o.deadWorkers.has(name) ||
      (held && t >= held.leaseExpires - policy.leaseMs / 2) ||
      (held && r.yieldFrom !== undefined && asked(ledger, held)) ||
      (r.startedNext !== undefined &&
        r.startedNext === ledger.next.get(name)?.token &&
        unstartedNext(ledger, name));
    if (partial && !due) continue;
    const generation = b.metadata.generation ?? 0;
    let report: Report;
    try {
      report = readReport(r);
    } catch (err) {
      // The schema refuses most nonsense; what gets past it ("9-3") is this Block's problem
      // alone: ignored, so its range goes back when its lease runs out, and the rest goes on.
      reports.push({ block: name, generation, outcome: 'malformed', problem: (err as Error).message });
      continue;
    }
    const res = applyReport(ledger, name, { ...report, generation }, policy, t);
    const switched = report.finished !== undefined && held?.token === report.finished.token;
    if (res.outcome === 'applied' && (report.complete || report.goOn || switched)) ended.add(name);
    ledger = res.ledger;
    // The worker's word on why its items failed goes into the ItemsFailed Event.
    if (r.message && !report.failed.isEmpty) failureReason = `${name}: ${r.message}`;
    reports.push({ block: name, generation, outcome: res.outcome });
  }
  return { ledger, reports, failureReason, ended };
}

/** A Lost Block whose worker wrote again (a newer generation), or that is gone, is lost no more. */
function forgetRecoveredLost(ledger: Ledger, { live }: Blocks): Ledger {
  for (const [name, { generation }] of ledger.lost) {
    const b = live.get(name);
    if (!b || (b.metadata.generation ?? 0) !== generation) ledger = forgetLost(ledger, name);
  }
  return ledger;
}

/**
 * What a gone, dead or deleted holder still held goes back; so does a range whose lease ran out,
 * and its Block is marked Lost (outside a pod nothing else tells whether its worker is dead): no
 * new range until it writes again.
 */
function reclaimGone(
  ledger: Ledger,
  o: Observed,
  { present, live }: Blocks,
  policy: Policy,
  t: number,
): { ledger: Ledger; names: string[]; events: WorklistEvent[] } {
  const names: string[] = [];
  const events: WorklistEvent[] = [];
  for (const name of ledger.assignments.keys()) {
    const why = !live.has(name)
      ? present.has(name)
        ? 'its Block was deleted'
        : 'its Block is gone'
      : o.deadWorkers.has(name)
        ? "its worker's pod is gone"
        : undefined;
    if (!why) continue;
    events.push(lostEvent('WorkerLost', name, why, heldBy(ledger, name)));
    ledger = reclaim(ledger, name, policy);
    names.push(name);
  }
  const stillHeld = new Map([...ledger.assignments].map(([name]) => [name, heldBy(ledger, name)]));
  const expiry = expireLeases(ledger, policy, t);
  ledger = expiry.ledger;
  names.push(...expiry.expired);
  for (const name of expiry.expired) {
    events.push(
      lostEvent('LeaseExpired', name, `no report for ${policy.leaseMs / 1000}s`, stillHeld.get(name)!),
    );
    ledger = markLost(ledger, name, present.get(name)?.metadata.generation ?? 0, t);
  }
  return { ledger, names, events };
}

/** A secondary asks its parent for this many of its own blocks per worker in a range: few switches, small tails. */
export const UPSTREAM_BLOCKS_PER_WORKER = 8;

/**
 * A secondary's pass over its parent Block (ledger/upstream.ts): the parent range it works on,
 * its ledger scoped to it, a range the parent took back disowned, and the report upward.
 */
function upstream(ledger: Ledger, o: Observed, { live }: Pick<Blocks, 'live'>, t: number): UpstreamStep {
  const s = o.worklist.status?.upstream;
  const up: Upstream = {
    ...(s?.working ? { working: s.working } : {}),
    ...(s?.next ? { next: s.next } : {}),
    ...(s?.finished ? { finished: s.finished } : {}),
  };
  // Its parent missing (or its own ancestor: the Ready condition says so): nothing to hand out
  // until it is back, and nothing to say upward.
  if (!o.upstream)
    return { ledger: { ...ledger, scope: RangeSet.EMPTY }, upstream: up, revoked: [], drained: false };
  const block = o.upstream.block;
  const alive = atWork(o, { live }, ledger);
  const parent = { status: block?.status, report: block?.spec.report, settled: o.upstream.settled };
  return upstreamStep(ledger, up, parent, t, {
    reportEveryMs: UPSTREAM_REPORT_EVERY_MS,
    leaseMs: o.upstream.parentLeaseMs,
    rangeSize: upstreamRangeSize(o, alive),
    startNextWithin: startNextWithin(o.upstream, alive, o.worklist.spec.blockSize),
    idle: isIdle(o, alive),
  });
}

/**
 * When a secondary starts its parent's next range (ledger/upstream.ts): at once while the parent
 * still has items to hand out, so that its pool never runs dry at a switch (its workers' ranges
 * would shrink to a block each, and its idle ones steal: a small end game at every switch). A
 * started range is its own to finish, though: the parent no longer takes it back whole. Once
 * the parent's pool is empty, the next range an idle secondary could get is one that another
 * holds unstarted, so it is started only with about a block per worker left.
 */
function startNextWithin(parent: ObservedUpstream, alive: number, blockSize: number): number {
  if ((parent.parentPool ?? 0) > 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, alive) * blockSize;
}

/**
 * The secondary's Block in its parent's namespace: made when it has none (not again once
 * finished: the parent deletes a finished worker's Block in time), carrying from its creation the
 * range size it asks for (a report on no range), so that its first parent range is sized for
 * all its workers, not one parent block that leaves most of them idle. So it is made once its
 * workers have arrived (workersSettleInMs): a range asked for the first of fifty workers leaves
 * the other 49 stealing from one-block ranges until it switches.
 */
function upstreamPlan(
  o: Observed,
  observed: ObservedUpstream,
  up: UpstreamStep,
  status: WorklistStatus,
  blocks: Pick<Blocks, 'live'>,
  ledger: Ledger,
  t: number,
): { plan: NonNullable<Plan['upstream']>; settleInMs?: number } {
  const alive = atWork(o, blocks, ledger);
  const wanted = observed.block === undefined && !status.completionTime && !isIdle(o, alive);
  const settleInMs = wanted ? workersSettleInMs(o, blocks, ledger, t) : 0;
  const create = wanted && settleInMs === 0;
  if (!create || up.report)
    return { plan: { create, report: up.report }, ...(settleInMs ? { settleInMs } : {}) };
  return { plan: { create, report: { token: NO_RANGE_TOKEN, rangeSize: upstreamRangeSize(o, alive) } } };
}

/**
 * A secondary's workers count as arrived once its newest worker's Block is this old: a Job's
 * pods, or a crowd of workers started at once, make their Blocks within moments of each other.
 */
export const UPSTREAM_SETTLE_MS = 2000;
/** ...or once its first worker's Block is this old, however many are still coming. */
export const UPSTREAM_SETTLE_MAX_MS = 5000;

/** ms until the secondary's workers count as arrived (0: they have). */
function workersSettleInMs(o: Observed, blocks: Pick<Blocks, 'live'>, ledger: Ledger, t: number): number {
  const born = workingBlocks(o, blocks, ledger)
    .map((b) => Math.min(createdAt(b) || Infinity, o.seenAt?.get(b.metadata.name!) ?? Infinity))
    .filter(Number.isFinite);
  if (!born.length) return 0;
  return Math.max(
    0,
    Math.min(Math.max(...born) + UPSTREAM_SETTLE_MS, Math.min(...born) + UPSTREAM_SETTLE_MAX_MS) - t,
  );
}

/** How many of the parent's items a secondary asks for in a range: UPSTREAM_BLOCKS_PER_WORKER of its own blocks a worker. */
const upstreamRangeSize = (o: Observed, alive: number) =>
  Math.max(1, alive) * UPSTREAM_BLOCKS_PER_WORKER * o.worklist.spec.blockSize;

/** Blocks whose worker may be at work: live, its pod not gone, not Lost (quiet past its lease). */
const atWork = (o: Observed, blocks: Pick<Blocks, 'live'>, ledger: Ledger) =>
  workingBlocks(o, blocks, ledger).length;

const workingBlocks = (o: Observed, { live }: Pick<Blocks, 'live'>, ledger: Ledger) =>
  [...live].filter(([name]) => !o.deadWorkers.has(name) && !ledger.lost.has(name)).map(([, b]) => b);

/**
 * No worker of the secondary's own could run a parent range now: none live, it is suspended, or
 * it failed (it hands nothing out until a retry). It takes no range of its parent then (it makes
 * no Block there yet), and gives back what it holds.
 */
const isIdle = (o: Observed, liveWorkers: number) =>
  liveWorkers === 0 ||
  o.worklist.spec.suspend === true ||
  isTrue(o.worklist.status?.conditions, WorklistConditions.Failed);

/** A retry request (kubectl teamtask retry) puts items back into the pool, once per id. */
function applyRetry(
  ledger: Ledger,
  w: Worklist,
): { ledger: Ledger; retryApplied?: number; events: WorklistEvent[] } {
  const retry = w.spec.retry;
  const retryApplied = w.status?.retryApplied;
  if (!retry || retry.id <= (retryApplied ?? 0)) return { ledger, retryApplied, events: [] };
  let ranges: RangeSet;
  try {
    ranges = RangeSet.parse(retry.ranges ?? '');
  } catch (err) {
    // A malformed request must not stop the Worklist: it is answered, and done with.
    const message = `retry ${retry.id}: ${(err as Error).message}; nothing put back`;
    return { ledger, retryApplied: retry.id, events: [{ type: 'Warning', reason: 'RetryRefused', message }] };
  }
  const asked = (retry.failed ? ledger.failed : RangeSet.EMPTY)
    .union(ranges)
    .intersect(RangeSet.span(0, ledger.total - 1));
  const res = putBack(ledger, asked);
  const message = res.putBack.isEmpty
    ? `retry ${retry.id}: nothing to put back (no such item is completed or failed)`
    : `retry ${retry.id}: ${res.putBack.size} item(s) back in the pool: offsets ${res.putBack.toString()}`;
  return {
    ledger: res.ledger,
    retryApplied: retry.id,
    events: [{ type: 'Normal', reason: 'Retried', message }],
  };
}

/**
 * Hands out ranges to every live Block that holds none, oldest Block first, within the cap and
 * the rate limits; none while suspended or once the Worklist failed (failures too scattered to
 * record, until a retry clears them). Then each Block whose worker just ended a range gets the
 * range it starts after its current one (double buffering: its worker never waits for a pass
 * again), while the pool still holds a range for every Block at work. A next range never goes
 * to a Block that has not finished a range yet (unless it was made asking for a range size: a
 * secondary Worklist's), nor near the end: it would sit unstarted behind a range of unknown
 * length while another worker (one that starts later, say) idles.
 * `idle` counts the Blocks still waiting for a range that could have one (tail stealing's cue),
 * `pool` the items still waiting to be handed out.
 */
function assignWaiting(
  ledger: Ledger,
  o: Observed,
  { live }: Blocks,
  policy: Policy,
  t: number,
  failed: boolean,
  /** Blocks whose worker ended a range in this pass (its report folded). */
  ended: ReadonlySet<string>,
): { ledger: Ledger; count: number; throttled: boolean; idle: number; pool: number } {
  const cap = o.worklist.spec.maxBlocksInFlight ?? Number.POSITIVE_INFINITY;
  const budget = o.assignmentBudget ?? Number.POSITIVE_INFINITY;
  if (o.worklist.spec.suspend === true || failed)
    return { ledger, count: 0, throttled: false, idle: 0, pool: poolSize(ledger) };
  const eligible = [...live.values()]
    .filter((b) => !o.deadWorkers.has(b.metadata.name!))
    .filter((b) => !isReleased(b))
    .filter((b) => !ledger.lost.has(b.metadata.name!))
    .sort(byAge);
  let pool = poolSize(ledger);
  // Its worker says how many items it runs in about five seconds (rangeSize), within limits.
  const given = (b: Block) => ({
    generation: b.metadata.generation ?? 0,
    size: rangeSize(policy, b.spec.report?.rangeSize, pool, eligible.length),
  });
  let count = 0;
  /** Blocks handed their first range in this pass that asked for its size from their creation. */
  const sized = new Set<string>();
  for (const b of eligible.filter((b) => !ledger.assignments.has(b.metadata.name!))) {
    if (ledger.assignments.size >= cap) break;
    const res = assign(ledger, b.metadata.name!, policy, t, given(b));
    if (!res) break;
    if (count >= budget) return { ledger, count, throttled: true, idle: 0, pool };
    ledger = res.ledger;
    pool -= res.assignment.size;
    count++;
    if (asksRangeSize(b.spec.report)) sized.add(b.metadata.name!);
  }
  // A Block made asking for a range size (a secondary Worklist: its pace is its workers', known
  // before it runs anything) gets its next range with its first, as one that ended a range does.
  const working = eligible.filter(
    (b) =>
      (ended.has(b.metadata.name!) || sized.has(b.metadata.name!)) &&
      ledger.assignments.has(b.metadata.name!) &&
      !ledger.next.has(b.metadata.name!),
  );
  for (const b of working) {
    if (pool < ledger.assignments.size * policy.blockSize || count >= budget) break;
    const res = assignNext(ledger, b.metadata.name!, policy, given(b));
    if (!res) break;
    ledger = res.ledger;
    pool -= res.assignment.size;
    count++;
  }
  const idle =
    ledger.assignments.size >= cap
      ? 0
      : eligible.filter((b) => !ledger.assignments.has(b.metadata.name!)).length;
  return { ledger, count, throttled: false, idle, pool };
}

/** The Event for a malformed report, told once per Block generation (expectations.ts). */
export const refusedReportEvent = (r: ReportSeen): WorklistEvent => ({
  type: 'Warning',
  reason: 'ReportRefused',
  message: `block ${r.block}: its report was ignored (${r.problem}); its range goes back to the pool when its lease runs out`,
});

/** A Block's report as the ledger reads it; throws RangeSyntaxError on a range string that does not parse. */
function readReport(r: BlockSpecReport): Report {
  const renewedAt = r.renewTime ? Date.parse(r.renewTime) : undefined;
  return {
    token: r.token,
    done: RangeSet.parse(r.done ?? ''),
    failed: RangeSet.parse(r.failed ?? ''),
    complete: r.complete,
    release: r.release,
    goOn: r.next,
    renewedAt: Number.isNaN(renewedAt) ? undefined : renewedAt,
    ...(r.yieldFrom !== undefined ? { yieldFrom: r.yieldFrom } : {}),
    ...(r.startedNext !== undefined ? { startedNext: r.startedNext } : {}),
    ...(r.finished
      ? {
          finished: {
            token: r.finished.token,
            done: RangeSet.parse(r.finished.done ?? ''),
            failed: RangeSet.parse(r.finished.failed ?? ''),
          },
        }
      : {}),
  };
}

const lostEvent = (reason: string, block: string, why: string, items: RangeSet): WorklistEvent => ({
  type: 'Warning',
  reason,
  message: items.isEmpty
    ? `block ${block}: ${why}; it held nothing unreported`
    : `block ${block}: ${why}; offsets ${items.toString()} go back to the pool`,
});

const byAge = (x: Block, y: Block) =>
  String(x.metadata.creationTimestamp ?? '').localeCompare(String(y.metadata.creationTimestamp ?? '')) ||
  x.metadata.name!.localeCompare(y.metadata.name!);

/**
 * When each Block of a worker outside a pod counts as abandoned: ABANDONED_BLOCK_MS after its
 * lease ran out (Lost), or after the Worklist finished.
 */
function abandonedAt(
  o: Observed,
  live: ReadonlyMap<string, Block>,
  l: Ledger,
  finishedAt: number | undefined,
): Map<string, number> {
  const at = new Map<string, number>();
  for (const [name, b] of live) {
    if (b.metadata.labels?.[POD_LABEL] || o.deadWorkers.has(name)) continue;
    const since = l.lost.get(name)?.since || finishedAt;
    if (since) at.set(name, since + ABANDONED_BLOCK_MS);
  }
  return at;
}

function abandonedBlocks(
  o: Observed,
  live: ReadonlyMap<string, Block>,
  l: Ledger,
  finishedAt: number | undefined,
  now: number,
): Map<string, string> {
  const minutes = ABANDONED_BLOCK_MS / 60_000;
  const gone = new Map<string, string>();
  for (const [name, at] of abandonedAt(o, live, l, finishedAt)) {
    if (now < at) continue;
    gone.set(
      name,
      l.lost.get(name)?.since
        ? `its worker outside the cluster said nothing for ${minutes} minutes after its lease ran out`
        : `its worker outside the cluster was still not gone ${minutes} minutes after the Worklist finished`,
    );
  }
  return gone;
}

/** Past a deadline by this much when looked at again: timers fire early, clocks differ by a little. */
export const REQUEUE_MARGIN_MS = 100;

const plus = (ms: number | undefined, more: number) => (ms === undefined ? undefined : ms + more);

/**
 * When to look again: at half a lease (to fold waiting progress and renew), else at the expiry;
 * at an abandoned Block's deadline; and at what the caller knows will change without an event.
 */
function requeueAfter(
  l: Ledger,
  leaseMs: number,
  now: number,
  abandoned: ReadonlyMap<string, number>,
  other: readonly (number | undefined)[],
): number | undefined {
  const deadlines = [...l.assignments.values()].map((a) =>
    now < a.leaseExpires - leaseMs / 2 ? a.leaseExpires - leaseMs / 2 : a.leaseExpires,
  );
  deadlines.push(...[...abandoned.values()].filter((at) => at > now));
  const times = [
    ...deadlines.map((at) => Math.max(0, at - now) + REQUEUE_MARGIN_MS),
    ...other.filter((ms): ms is number => ms !== undefined),
  ];
  return times.length ? Math.min(...times) : undefined;
}
