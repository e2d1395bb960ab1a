import {
  BLOCK_FINALIZER,
  WorklistConditions,
  type Block,
  type BlockSpecReport,
  type BlockStatus,
  type Worklist,
  type WorklistStatus,
} from '../api/v1alpha1/index.js';
import {
  applyReport,
  assign,
  expireLeases,
  forgetLost,
  fromStatus,
  isFinished,
  liveItems,
  markLost,
  putBack,
  reclaim,
  toStatus,
  unassigned,
  type Ledger,
  type Policy,
  type Report,
  type ReportOutcome,
} from '../ledger/ledger.js';
import { ABANDONED_BLOCK_MS, MAX_FAILED_RANGES } from '../ledger/limits.js';
import { POD_LABEL } from '../api/names.js';
import { effectiveSpec } from '../api/defaults.js';
import { RangeSet } from '../ledger/range-set.js';
import { findCondition, isTrue, setCondition } from '../api/conditions.js';

/** What the controller sees of one Worklist, from its caches. */
export interface Observed {
  readonly worklist: Worklist;
  /** The Blocks whose spec.worklist names it, including those being deleted. */
  readonly blocks: readonly Block[];
  /** Blocks whose worker is known dead (its pod failed or is gone). */
  readonly deadWorkers: ReadonlySet<string>;
  /** Number of items; for a ConfigMap source, counted by the caller from the ConfigMap. */
  readonly totalItems: number;
  /** The namespace's ResourceQuotas on Blocks or pods (what `QuotaLimited` is made of). */
  readonly quotas?: readonly QuotaUse[];
  /** How many new ranges the assignment rate limits allow now (default: no limit). */
  readonly assignmentBudget?: number;
  /** For a ConfigMap source: what the controller found when it last read it, and the cluster's limit. */
  readonly source?: SourceState;
  /**
   * A fencing token for a new range. The controller draws them at random, so no one can write a
   * report for a range before it is handed out; default: the ledger's counter.
   */
  readonly newToken?: () => number;
}

/** A ConfigMap source as last read: why its items cannot be read, if so; the cluster's block limit. */
export interface SourceState {
  readonly problem?: { readonly reason: string; readonly message: string };
  /** `maxBlocksPerWorklist` of the limits ConfigMap, which admission cannot apply to ConfigMap sources. */
  readonly maxBlocks?: number;
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
  /** True when a Block waits only because the rate limits allow no more assignments now. */
  readonly throttled: boolean;
  readonly reports: readonly ReportSeen[];
  readonly events: readonly WorklistEvent[];
  /** When to look again even if nothing changes (half a lease before, or at, the earliest expiry). */
  readonly requeueAfterMs?: number;
}

export function policyOf(w: Worklist): Policy {
  return {
    blockSize: w.spec.blockSize,
    maxAttempts: effectiveSpec(w.spec).maxAttempts,
    leaseMs: effectiveSpec(w.spec).leaseSeconds * 1000,
  };
}

/**
 * The controller's whole decision for one Worklist, level-triggered: from what is observed now,
 * the next ledger and every Block's status. Pure: no I/O, time passed in.
 */
export function reconcile(o: Observed, now: Date): Plan {
  const policy = policyOf(o.worklist);
  const t = now.getTime();
  const before = fromStatus(o.totalItems, o.worklist.status);
  let ledger: Ledger = before;
  const present = new Map(o.blocks.map((b) => [b.metadata.name!, b]));
  const deleting = new Set(o.blocks.filter((b) => b.metadata.deletionTimestamp).map((b) => b.metadata.name!));
  const live = new Map([...present].filter(([name]) => !deleting.has(name)));
  const events: WorklistEvent[] = [];
  const reports: ReportSeen[] = [];

  // Reports first, from every Block still there (a dead worker's or a deleted Block's last
  // report included): what was reported done is never run again. Reports are cumulative and
  // stay in the Block's spec, so one whose token is not the Block's current range (already
  // folded, or a range it lost) changes nothing.
  //
  // Partial progress of a live range is folded lazily: the report waits in the Block's spec
  // (where the finalizer keeps it) until the range ends, its holder dies or is deleted, or half
  // the lease is gone. So a progress report costs the worker's own small write, not a write of
  // the whole Worklist, yet nothing reported is lost and the lease is renewed in time.
  let failureReason: string | undefined;
  for (const [name, b] of present) {
    const r = b.spec.report;
    if (!r) continue;
    const held = ledger.assignments.get(name);
    const partial = !r.complete && !r.release && held?.token === r.token;
    const due =
      deleting.has(name) || o.deadWorkers.has(name) || (held && t >= held.leaseExpires - policy.leaseMs / 2);
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
    ledger = res.ledger;
    // The worker's word on why its items failed goes into the ItemsFailed Event.
    if (r.message && !report.failed.isEmpty) failureReason = `${name}: ${r.message}`;
    reports.push({ block: name, generation, outcome: res.outcome });
  }

  // A Lost Block whose worker wrote again (a newer generation), or that is gone, is lost no more.
  for (const [name, { generation }] of ledger.lost) {
    const b = live.get(name);
    if (!b || (b.metadata.generation ?? 0) !== generation) ledger = forgetLost(ledger, name);
  }

  // Then what a gone, dead or deleted holder still held goes back.
  const reclaimed: string[] = [];
  for (const [name, a] of ledger.assignments) {
    const why = !live.has(name)
      ? present.has(name)
        ? 'its Block was deleted'
        : 'its Block is gone'
      : o.deadWorkers.has(name)
        ? "its worker's pod is gone"
        : undefined;
    if (!why) continue;
    events.push(lostEvent('WorkerLost', name, why, liveItems(a)));
    ledger = reclaim(ledger, name, policy);
    reclaimed.push(name);
  }
  const stillHeld = new Map([...ledger.assignments].map(([name, a]) => [name, liveItems(a)]));
  const expiry = expireLeases(ledger, policy, t);
  ledger = expiry.ledger;
  reclaimed.push(...expiry.expired);
  for (const name of expiry.expired) {
    events.push(
      lostEvent('LeaseExpired', name, `no report for ${policy.leaseMs / 1000}s`, stillHeld.get(name)!),
    );
    // Its worker may be dead (outside a pod nothing else tells): no new range until it writes.
    ledger = markLost(ledger, name, present.get(name)?.metadata.generation ?? 0, t);
  }

  // A retry request (kubectl teamtask retry) puts items back into the pool, once per id.
  const retry = o.worklist.spec.retry;
  let retryApplied = o.worklist.status?.retryApplied;
  if (retry && retry.id > (retryApplied ?? 0)) {
    retryApplied = retry.id;
    let ranges: RangeSet | undefined;
    try {
      ranges = RangeSet.parse(retry.ranges ?? '');
    } catch (err) {
      // A malformed request must not stop the Worklist: it is answered, and done with.
      events.push({
        type: 'Warning',
        reason: 'RetryRefused',
        message: `retry ${retry.id}: ${(err as Error).message}; nothing put back`,
      });
    }
    if (ranges) {
      const asked = (retry.failed ? ledger.failed : RangeSet.EMPTY)
        .union(ranges)
        .intersect(RangeSet.span(0, ledger.total - 1));
      const res = putBack(ledger, asked);
      ledger = res.ledger;
      events.push({
        type: 'Normal',
        reason: 'Retried',
        message: res.putBack.isEmpty
          ? `retry ${retry.id}: nothing to put back (no such item is completed or failed)`
          : `retry ${retry.id}: ${res.putBack.size} item(s) back in the pool: offsets ${res.putBack.toString()}`,
      });
    }
  }

  // Hand out ranges to every live Block that holds none, oldest Block first; none once the
  // failures are too scattered to record (a Failed Worklist, until a retry clears them).
  const suspended = o.worklist.spec.suspend === true;
  const stop = failure(o.worklist, ledger, o.source?.maxBlocks);
  const cap = o.worklist.spec.maxBlocksInFlight ?? Number.POSITIVE_INFINITY;
  const budget = o.assignmentBudget ?? Number.POSITIVE_INFINITY;
  const waiting = [...live.values()]
    .filter((b) => !ledger.assignments.has(b.metadata.name!) && !o.deadWorkers.has(b.metadata.name!))
    .filter((b) => !isReleased(b))
    .filter((b) => !ledger.lost.has(b.metadata.name!))
    .sort(byAge);
  let assigned = 0;
  let throttled = false;
  for (const b of waiting) {
    if (suspended || stop || ledger.assignments.size >= cap) break;
    const res = assign(ledger, b.metadata.name!, policy, t, {
      generation: b.metadata.generation ?? 0,
      token: o.newToken?.(),
    });
    if (!res) break;
    if (assigned >= budget) {
      throttled = true;
      break;
    }
    ledger = res.ledger;
    assigned++;
  }

  // Drained (the worker may exit) only once every item is completed or failed: a range out now
  // may still come back (its worker dies, its lease runs out) and need an idle worker.
  const drained = isFinished(ledger);
  const allOut = unassigned(ledger).isEmpty && ledger.retry.size === 0;
  const blockStatuses = new Map<string, BlockStatus>();
  for (const [name, b] of live) {
    if (o.deadWorkers.has(name)) continue;
    const next = blockStatus(ledger, b, { drained, suspended, failed: stop?.reason, allOut, throttled });
    if (!sameBlockStatus(b.status, next)) blockStatuses.set(name, next);
  }

  // Blocks of workers outside a pod that are gone (nothing else tells): Lost too long, or left
  // behind too long after the Worklist finished.
  const finishedAt = o.worklist.status?.completionTime
    ? Date.parse(o.worklist.status.completionTime)
    : undefined;
  const abandoned = abandonedBlocks(o, live, ledger, drained ? finishedAt : undefined, t);
  for (const [name, why] of abandoned) {
    events.push({ type: 'Normal', reason: 'BlockRemoved', message: `block ${name}: ${why}: deleted` });
  }

  const newlyFailed = ledger.failed.subtract(before.failed);
  if (!newlyFailed.isEmpty) {
    events.push({
      type: 'Warning',
      reason: 'ItemsFailed',
      message: `${newlyFailed.size} item(s) failed ${policy.maxAttempts} attempt(s): offsets ${newlyFailed.toString()}${failureReason ? `; last failure, ${failureReason}` : ''}`,
    });
  }
  // Workers: Blocks whose worker may be at work; none once every item is done.
  const workers = drained
    ? 0
    : [...live.keys()].filter((name) => !o.deadWorkers.has(name) && !ledger.lost.has(name)).length;
  const status = {
    ...worklistStatus(o.worklist, ledger, workers, o.quotas ?? [], stop, o.source?.problem, now),
    retryApplied,
  };
  events.push(...transitionEvents(o.worklist.status, status));

  return {
    status,
    blockStatuses,
    reclaimed,
    deleteBlocks: [...live.keys()].filter((name) => o.deadWorkers.has(name) || abandoned.has(name)),
    finalize: o.blocks
      .filter((b) => deleting.has(b.metadata.name!) && b.metadata.finalizers?.includes(BLOCK_FINALIZER))
      .map((b) => b.metadata.name!),
    assigned,
    throttled,
    reports,
    events,
    requeueAfterMs: nextLook(
      ledger,
      policy.leaseMs,
      t,
      abandonedAt(o, live, ledger, drained ? (finishedAt ?? t) : undefined),
    ),
  };
}

/** A Block's report as the ledger reads it; throws RangeSyntaxError on a range string that does not parse. */
function readReport(r: BlockSpecReport): Report {
  const renewedAt = r.renewTime ? Date.parse(r.renewTime) : undefined;
  return {
    token: r.token,
    done: RangeSet.parse(r.done ?? ''),
    failed: RangeSet.parse(r.failed ?? ''),
    complete: r.complete,
    release: r.release,
    renewedAt: Number.isNaN(renewedAt) ? undefined : renewedAt,
  };
}

/**
 * The Blocks that are this Worklist's: those naming it, but not those of an earlier Worklist of
 * the same name (deleted and made again), which the garbage collector removes and which must get
 * none of its ranges (their workers read the old items).
 */
export function ownBlocks(w: Worklist, blocks: readonly Block[]): Block[] {
  return blocks.filter((b) => {
    const owner = b.metadata.ownerReferences?.find((r) => r.kind === 'Worklist');
    return b.spec.worklist === w.metadata.name && (!owner || owner.uid === w.metadata.uid);
  });
}

/** The status of a Block that names a Worklist its namespace does not have (a typo, or one deleted). */
export function orphanBlockStatus(b: Block): BlockStatus | undefined {
  const ns = b.metadata.namespace;
  const next: BlockStatus = {
    restarts: b.status?.restarts ?? 0,
    phase: 'Pending',
    ready: '0/1',
    index: 'Pending',
    size: 'Pending',
    message: `Worklist ${b.spec.worklist} does not exist in namespace ${ns}: check spec.worklist (kubectl get worklists -n ${ns})`,
  };
  return b.metadata.deletionTimestamp || sameBlockStatus(b.status, next) ? undefined : next;
}

const lostEvent = (reason: string, block: string, why: string, items: RangeSet): WorklistEvent => ({
  type: 'Warning',
  reason,
  message: items.isEmpty
    ? `block ${block}: ${why}; it held nothing unreported`
    : `block ${block}: ${why}; offsets ${items.toString()} go back to the pool`,
});

/** Events for conditions that just turned True. */
function transitionEvents(prev: WorklistStatus | undefined, next: WorklistStatus): WorklistEvent[] {
  const events: WorklistEvent[] = [];
  const turned = (type: string) =>
    isTrue(next.conditions, type) && !isTrue(prev?.conditions, type)
      ? findCondition(next.conditions, type)
      : undefined;
  const complete = turned(WorklistConditions.Complete);
  if (complete) events.push({ type: 'Normal', reason: 'Completed', message: complete.message });
  const failed = turned(WorklistConditions.Failed);
  if (failed) events.push({ type: 'Warning', reason: 'Failed', message: failed.message });
  const unready = findCondition(next.conditions, WorklistConditions.Ready);
  if (
    unready?.status === 'False' &&
    findCondition(prev?.conditions, WorklistConditions.Ready)?.status !== 'False'
  )
    events.push({ type: 'Warning', reason: unready.reason, message: unready.message });
  const quota = turned(WorklistConditions.QuotaLimited);
  if (quota) events.push({ type: 'Warning', reason: 'QuotaLimited', message: quota.message });
  return events;
}

/** Its worker gave its range back and wants no other (it is stopping). */
const isReleased = (b: Block) =>
  b.spec.report?.release === true && !b.spec.report.next && b.spec.report.token === b.status?.token;

interface Situation {
  readonly drained: boolean;
  readonly suspended: boolean;
  /** Why the Worklist failed, if it did. */
  readonly failed?: string;
  readonly allOut: boolean;
  readonly throttled: boolean;
}

function blockStatus(
  l: Ledger,
  b: Block,
  { drained, suspended, failed, allOut, throttled }: Situation,
): BlockStatus {
  const a = l.assignments.get(b.metadata.name!);
  // From the ledger, not from the Block's previous status: the cached Block may be stale, and a
  // value computed from it (a counter, say) could write an older one back. Hence no
  // blocksCompleted yet: it needs a per-Block count in the ledger.
  const base = { restarts: b.status?.restarts ?? 0 };
  if (a) {
    return {
      ...base,
      phase: 'Ready',
      ready: '1/1',
      index: a.index,
      size: a.size,
      token: a.token,
      attempt: a.attempt,
    };
  }
  const pending = { ...base, ready: '0/1', index: 'Pending', size: 'Pending' } as const;
  if (isReleased(b)) {
    return { ...pending, phase: 'Released', token: b.status?.token, message: 'released by its worker' };
  }
  if (drained)
    return { ...pending, phase: 'Drained', message: 'nothing left to assign: the worker may exit' };
  const lostAt = l.lost.get(b.metadata.name!)?.generation;
  if (lostAt !== undefined) {
    return {
      ...pending,
      phase: 'Lost',
      token: b.status?.token,
      observedGeneration: lostAt,
      message: 'its lease ran out: its range went to others; it gets a new one once its worker reports again',
    };
  }
  return {
    ...pending,
    phase: 'Pending',
    message: suspended
      ? 'the Worklist is suspended'
      : failed
        ? `the Worklist failed (${failed}): nothing is handed out`
        : throttled
          ? 'waiting for a range (assignment rate limit)'
          : allOut
            ? 'every range is handed out; waiting in case one comes back'
            : 'waiting for a range',
  };
}

/**
 * Why the Worklist stopped for good, like a Job's Failed condition: more blocks than the cluster
 * allows (a ConfigMap source, which admission could not count), or failures too scattered to
 * record (until a retry clears them).
 */
function failure(
  w: Worklist,
  l: Ledger,
  maxBlocks: number | undefined,
): { reason: string; message: string } | undefined {
  const blocks = Math.ceil(l.total / w.spec.blockSize);
  if (maxBlocks !== undefined && blocks > maxBlocks) {
    return {
      reason: 'TooManyBlocks',
      message: `its ${l.total} items in blocks of ${w.spec.blockSize} make ${blocks} blocks, more than the cluster allows (${maxBlocks}, maxBlocksPerWorklist in ConfigMap teamtask-limits): create it again with a block size of at least ${Math.ceil(l.total / maxBlocks)}`,
    };
  }
  const failedRanges = l.failed.ranges.length;
  if (failedRanges > MAX_FAILED_RANGES) {
    return {
      reason: 'TooManyFailedRanges',
      message: `the failed items form ${failedRanges} separate ranges, more than the ${MAX_FAILED_RANGES} a Worklist records: nothing new is handed out; fix the command, then run kubectl teamtask retry ${w.metadata.name} --failed`,
    };
  }
  return undefined;
}

/** The Ready condition: whether workers can read the items (a ConfigMap source may be gone). */
function readyCondition(problem: SourceState['problem'], generation: number | undefined) {
  return problem
    ? { type: WorklistConditions.Ready, status: 'False' as const, ...problem, observedGeneration: generation }
    : {
        type: WorklistConditions.Ready,
        status: 'True' as const,
        reason: 'ItemsReadable',
        message: 'workers can read the items',
        observedGeneration: generation,
      };
}

/**
 * The status of a Worklist whose ConfigMap could not be read before its items were ever counted:
 * no ledger yet, only the Ready condition saying why.
 */
export function unreadableSourceStatus(
  w: Worklist,
  problem: NonNullable<SourceState['problem']>,
  now: Date,
): { status: WorklistStatus; events: WorklistEvent[] } {
  const status = {
    ...w.status,
    observedGeneration: w.metadata.generation,
    conditions: setCondition(w.status?.conditions, readyCondition(problem, w.metadata.generation), now),
  };
  return { status, events: transitionEvents(w.status, status) };
}

function worklistStatus(
  w: Worklist,
  l: Ledger,
  workers: number,
  quotas: readonly QuotaUse[],
  stop: { reason: string; message: string } | undefined,
  sourceProblem: SourceState['problem'],
  now: Date,
): WorklistStatus {
  const prev = w.status ?? {};
  const finished = isFinished(l);
  const generation = w.metadata.generation;
  let conditions = setCondition(
    prev.conditions,
    finished
      ? {
          type: WorklistConditions.Complete,
          status: 'True',
          reason: 'AllItemsProcessed',
          message: `${l.completed.size} completed, ${l.failed.size} failed`,
          observedGeneration: generation,
        }
      : {
          type: WorklistConditions.Complete,
          status: 'False',
          reason: 'InProgress',
          message: `${l.total - l.completed.size - l.failed.size} items to go`,
          observedGeneration: generation,
        },
    now,
  );
  // Like a Job past maxFailedIndexes (failures counted in ranges: what the ledger's size depends on).
  conditions = setCondition(
    conditions,
    stop
      ? { type: WorklistConditions.Failed, status: 'True', ...stop, observedGeneration: generation }
      : {
          type: WorklistConditions.Failed,
          status: 'False',
          reason: 'WithinLimits',
          message: `the failed items form ${l.failed.ranges.length} separate ranges (at most ${MAX_FAILED_RANGES})`,
          observedGeneration: generation,
        },
    now,
  );
  conditions = setCondition(conditions, readyCondition(sourceProblem, generation), now);
  // Level-triggered from the quotas as they are: a full quota on Blocks or pods means a worker
  // that wants to join waits (its Block or pod is refused) until a slot frees up.
  const full = quotas.filter((q) => q.used >= q.hard);
  conditions = setCondition(
    conditions,
    !finished && full.length > 0
      ? {
          type: WorklistConditions.QuotaLimited,
          status: 'True',
          reason: 'QuotaExhausted',
          message: `${full.map((q) => `ResourceQuota ${q.quota} allows ${q.hard} ${q.resource}, ${q.used} in use`).join('; ')}: more workers wait for a slot`,
          observedGeneration: generation,
        }
      : {
          type: WorklistConditions.QuotaLimited,
          status: 'False',
          reason: finished ? 'Finished' : 'WithinQuota',
          message: finished ? 'no workers needed' : 'no ResourceQuota on Blocks or pods is full',
          observedGeneration: generation,
        },
    now,
  );
  return {
    ...prev,
    ...toStatus(l),
    rateSamples: nextRateSamples(prev.rateSamples, l.completed.size + l.failed.size, now),
    workers,
    observedGeneration: generation,
    startTime: prev.startTime ?? now.toISOString(),
    completionTime: finished ? (prev.completionTime ?? now.toISOString()) : undefined,
    conditions,
  };
}

/** How far apart the rate samples are at least. */
const RATE_SAMPLE_MS = 30_000;

/**
 * The samples `status` measures the current rate against: a new one when the finished count
 * moved and the newest is RATE_SAMPLE_MS old, the two newest kept. Unchanged while nothing
 * finishes, so they never make a write of their own; a count that went down (a retry) starts
 * them afresh.
 */
export function nextRateSamples(
  prev: WorklistStatus['rateSamples'],
  finished: number,
  now: Date,
): NonNullable<WorklistStatus['rateSamples']> {
  const samples = prev ?? [];
  const last = samples.at(-1);
  const sample = { time: now.toISOString(), finishedItems: finished };
  if (!last || finished < last.finishedItems) return [sample];
  if (finished === last.finishedItems || now.getTime() - Date.parse(last.time) < RATE_SAMPLE_MS)
    return samples;
  return [...samples, sample].slice(-2);
}

const byAge = (x: Block, y: Block) =>
  String(x.metadata.creationTimestamp ?? '').localeCompare(String(y.metadata.creationTimestamp ?? '')) ||
  x.metadata.name!.localeCompare(y.metadata.name!);

function sameBlockStatus(a: BlockStatus | undefined, b: BlockStatus): boolean {
  return JSON.stringify(normalizeBlockStatus(a ?? {})) === JSON.stringify(normalizeBlockStatus(b));
}

const normalizeBlockStatus = (s: BlockStatus) =>
  Object.fromEntries(
    Object.entries(s)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => x.localeCompare(y)),
  );

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

/** When to look again: at half a lease (to fold waiting progress and renew), else at the expiry. */
function nextLook(
  l: Ledger,
  leaseMs: number,
  now: number,
  abandoned: ReadonlyMap<string, number>,
): number | undefined {
  const times = [...l.assignments.values()].map((a) =>
    now < a.leaseExpires - leaseMs / 2 ? a.leaseExpires - leaseMs / 2 : a.leaseExpires,
  );
  times.push(...[...abandoned.values()].filter((at) => at > now));
  return times.length ? Math.max(0, Math.min(...times) - now) : undefined;
}
