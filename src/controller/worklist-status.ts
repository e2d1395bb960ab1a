import { WorklistConditions, type Worklist, type WorklistStatus } from '../api/v1alpha1/index.js';
import { findCondition, isTrue, setCondition } from '../api/conditions.js';
import { LIMITS_CONFIGMAP, MAX_BLOCKS_KEY } from '../api/names.js';
import { isFinished, toStatus, type Ledger } from '../ledger/ledger.js';
import { MAX_FAILED_RANGES } from '../ledger/limits.js';
import type { QuotaUse, WorklistEvent } from './reconcile.js';
import type { SourceState } from './source.js';

/** A Worklist's status from its ledger: counts, conditions, the rate samples (pure). */

/** Events for conditions that just turned True. */
export function transitionEvents(prev: WorklistStatus | undefined, next: WorklistStatus): WorklistEvent[] {
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

/**
 * Why the Worklist stopped for good, like a Job's Failed condition: more blocks than the cluster
 * allows (a ConfigMap source, which admission could not count), or failures too scattered to
 * record (until a retry clears them).
 */
export function failure(
  w: Worklist,
  l: Ledger,
  maxBlocks: number | undefined,
): { reason: string; message: string } | undefined {
  const blocks = Math.ceil(l.total / w.spec.blockSize);
  if (maxBlocks !== undefined && blocks > maxBlocks) {
    return {
      reason: 'TooManyBlocks',
      message: `its ${l.total} items in blocks of ${w.spec.blockSize} make ${blocks} blocks, more than the cluster allows (${maxBlocks}, ${MAX_BLOCKS_KEY} in ConfigMap ${LIMITS_CONFIGMAP}): create it again with a block size of at least ${Math.ceil(l.total / maxBlocks)}`,
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

export function worklistStatus(
  w: Worklist,
  l: Ledger,
  workers: number,
  quotas: readonly QuotaUse[],
  stop: { reason: string; message: string } | undefined,
  sourceProblem: SourceState['problem'],
  now: Date,
  /** Every item done: for a secondary, every item its parent had for it. */
  finished = isFinished(l),
): WorklistStatus {
  const prev = w.status ?? {};
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
          message: w.spec.source.worklist
            ? `working on its parent's items: ${l.completed.size} completed, ${l.failed.size} failed so far`
            : `${l.total - l.completed.size - l.failed.size} items to go`,
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
    ...toStatus(l, w.metadata.name!),
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
