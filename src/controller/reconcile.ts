import {
  WorklistConditions,
  type Block,
  type BlockStatus,
  type Worklist,
  type WorklistSpecSource,
  type WorklistStatus,
} from '../api/v1alpha1/index.js';
import {
  applyReport,
  assign,
  expireLeases,
  fromStatus,
  isFinished,
  reclaim,
  toStatus,
  unassigned,
  type Ledger,
  type Policy,
} from '../ledger/ledger.js';
import { RangeSet } from '../ledger/range-set.js';
import { setCondition } from './conditions.js';

/** What the controller sees of one Worklist, from its caches. */
export interface Observed {
  readonly worklist: Worklist;
  /** The Blocks whose spec.worklist names it. */
  readonly blocks: readonly Block[];
  /** Blocks whose worker is known dead (its pod failed or is gone). */
  readonly deadWorkers: ReadonlySet<string>;
  /** Number of items; for a ConfigMap source, counted by the caller from the ConfigMap. */
  readonly totalItems: number;
}

/** What to write: the Worklist status first (the ledger, under a resourceVersion precondition), then the Blocks'. */
export interface Plan {
  readonly status: WorklistStatus;
  /** Block name → its new status, only for Blocks whose status changes. */
  readonly blockStatuses: ReadonlyMap<string, BlockStatus>;
  /** Blocks whose range was taken back: worker dead, Block gone, or lease expired. */
  readonly reclaimed: readonly string[];
  /** Blocks of dead workers, to delete once the ledger is written (their pods do not come back). */
  readonly deleteBlocks: readonly string[];
  /** When to look again even if nothing changes (the earliest lease expiry). */
  readonly requeueAfterMs?: number;
}

/** Items in a source, when the source itself says (not a ConfigMap). */
export function countItems(source: WorklistSpecSource): number | undefined {
  if (source.range) return source.range.end - source.range.start + 1;
  if (source.inline) return source.inline.length;
  return undefined;
}

export function policyOf(w: Worklist): Policy {
  return {
    blockSize: w.spec.blockSize,
    maxAttempts: w.spec.maxAttempts ?? 3,
    leaseMs: (w.spec.leaseSeconds ?? 60) * 1000,
  };
}

/**
 * The controller's whole decision for one Worklist, level-triggered: from what is observed now,
 * the next ledger and every Block's status. Pure: no I/O, time passed in.
 */
export function reconcile(o: Observed, now: Date): Plan {
  const policy = policyOf(o.worklist);
  const t = now.getTime();
  let ledger: Ledger = fromStatus(o.totalItems, o.worklist.status);
  const blocks = new Map(
    o.blocks.filter((b) => !b.metadata.deletionTimestamp).map((b) => [b.metadata.name!, b]),
  );
  const reclaimed: string[] = [];

  // A range whose holder is gone or dead goes back first, so nobody reports into it.
  for (const name of ledger.assignments.keys()) {
    if (!blocks.has(name) || o.deadWorkers.has(name)) {
      ledger = reclaim(ledger, name, policy);
      reclaimed.push(name);
    }
  }
  // Reports are cumulative and stay in the Block's spec: one whose token is not the range the
  // Block holds now (already folded, or from a range it lost) changes nothing.
  for (const [name, b] of blocks) {
    const r = b.spec.report;
    if (!r || !ledger.assignments.has(name)) continue;
    const report = {
      token: r.token,
      done: RangeSet.parse(r.done ?? ''),
      failed: RangeSet.parse(r.failed ?? ''),
      complete: r.complete,
      release: r.release,
      renewedAt: r.renewTime ? Date.parse(r.renewTime) : undefined,
    };
    const res = applyReport(ledger, name, report, policy, t);
    ledger = res.ledger;
  }
  const expiry = expireLeases(ledger, policy, t);
  ledger = expiry.ledger;
  reclaimed.push(...expiry.expired);

  // Hand out ranges to every live Block that holds none, oldest Block first.
  const suspended = o.worklist.spec.suspend === true;
  const cap = o.worklist.spec.maxBlocksInFlight ?? Number.POSITIVE_INFINITY;
  const waiting = [...blocks.values()]
    .filter((b) => !ledger.assignments.has(b.metadata.name!) && !o.deadWorkers.has(b.metadata.name!))
    .filter((b) => !(b.spec.report?.release && b.spec.report.token === b.status?.token))
    .sort(byAge);
  for (const b of waiting) {
    if (suspended || ledger.assignments.size >= cap) break;
    const res = assign(ledger, b.metadata.name!, policy, t);
    if (!res) break;
    ledger = res.ledger;
  }

  // Drained (the worker may exit) only once every item is completed or failed: a range out now
  // may still come back (its worker dies, its lease runs out) and need an idle worker.
  const drained = isFinished(ledger);
  const allOut = unassigned(ledger).isEmpty && ledger.retry.size === 0;
  const blockStatuses = new Map<string, BlockStatus>();
  for (const [name, b] of blocks) {
    if (o.deadWorkers.has(name)) continue;
    const next = blockStatus(ledger, b, drained, suspended, allOut);
    if (!sameBlockStatus(b.status, next)) blockStatuses.set(name, next);
  }

  return {
    status: worklistStatus(o.worklist, ledger, blocks.size, now),
    blockStatuses,
    reclaimed,
    deleteBlocks: [...blocks.keys()].filter((name) => o.deadWorkers.has(name)),
    requeueAfterMs: nextExpiry(ledger, t),
  };
}

function blockStatus(
  l: Ledger,
  b: Block,
  drained: boolean,
  suspended: boolean,
  allOut: boolean,
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
  if (b.spec.report?.release && b.spec.report.token === b.status?.token) {
    return { ...pending, phase: 'Released', token: b.status?.token, message: 'released by its worker' };
  }
  if (drained)
    return { ...pending, phase: 'Drained', message: 'nothing left to assign: the worker may exit' };
  return {
    ...pending,
    phase: 'Pending',
    message: suspended
      ? 'the Worklist is suspended'
      : allOut
        ? 'every range is handed out; waiting in case one comes back'
        : 'waiting for a range',
  };
}

function worklistStatus(w: Worklist, l: Ledger, workers: number, now: Date): WorklistStatus {
  const prev = w.status ?? {};
  const finished = isFinished(l);
  const generation = w.metadata.generation;
  const conditions = setCondition(
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
  return {
    ...prev,
    ...toStatus(l),
    workers,
    observedGeneration: generation,
    startTime: prev.startTime ?? now.toISOString(),
    completionTime: finished ? (prev.completionTime ?? now.toISOString()) : undefined,
    conditions,
  };
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

function nextExpiry(l: Ledger, now: number): number | undefined {
  const times = [...l.assignments.values()].map((a) => a.leaseExpires - now);
  return times.length ? Math.max(0, Math.min(...times)) : undefined;
}
