import type { Block, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import { asked, type Ledger } from '../ledger/ledger.js';
import { sameJson } from './same-json.js';

/** What each Block's status says: its range, or why it has none (pure). */

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

/**
 * Its worker gave its range back and wants no other (it is stopping): a release of the Block's
 * range, or of its next range (a worker stopped right after it switched, the switch not folded
 * yet). A release of an older range is no word on this one.
 */
export function isReleased(b: Block): boolean {
  const r = b.spec.report;
  return r?.release === true && !r.next && (r.token === b.status?.token || r.token === b.status?.next?.token);
}

export interface Situation {
  readonly drained: boolean;
  readonly suspended: boolean;
  /** Why the Worklist failed, if it did. */
  readonly failed?: string;
  readonly allOut: boolean;
  readonly throttled: boolean;
}

export function blockStatus(
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
    const queued = l.next.get(b.metadata.name!);
    return {
      ...base,
      phase: 'Ready',
      ready: '1/1',
      index: a.index,
      size: a.size,
      token: a.token,
      attempt: a.attempt,
      ...(queued
        ? { next: { index: queued.index, size: queued.size, token: queued.token, attempt: queued.attempt } }
        : {}),
      // Until its worker answers: once it has, the range simply ends where it yielded.
      ...(asked(l, a) ? { yieldFrom: a.yieldFrom } : {}),
    };
  }
  const pending = { ...base, ready: '0/1', index: 'Pending', size: 'Pending' } as const;
  if (isReleased(b)) {
    // The token released: the next pass still reads the Block as released.
    return { ...pending, phase: 'Released', token: b.spec.report!.token, message: 'released by its worker' };
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

export const sameBlockStatus = (a: BlockStatus | undefined, b: BlockStatus): boolean => sameJson(a ?? {}, b);

/** Every field of a Block's status (the compiler checks the list against the CRD's type). */
const NO_STATUS: Record<keyof BlockStatus, null> = {
  phase: null,
  ready: null,
  index: null,
  size: null,
  token: null,
  attempt: null,
  next: null,
  yieldFrom: null,
  restarts: null,
  blocksCompleted: null,
  message: null,
  observedGeneration: null,
};

/**
 * A Block status as a merge patch that replaces the whole status: a field the new one lacks is
 * removed (a merge patch would keep the previous range's `next`, or a Pending Block's message).
 */
export const statusPatch = (s: BlockStatus): Record<string, unknown> => ({ ...NO_STATUS, ...s });

/**
 * The plan for the Blocks of a Worklist that is not there (deleted, or never made): the garbage
 * collector deletes its Blocks, which wait on our finalizer (nothing is left to fold their
 * reports into); a Block that is not being deleted waits, its worker told why.
 */
export function orphanPlan(blocks: readonly Block[]): {
  blockStatuses: ReadonlyMap<string, BlockStatus>;
  finalize: readonly string[];
} {
  const blockStatuses = new Map<string, BlockStatus>();
  for (const b of blocks) {
    const status = orphanBlockStatus(b);
    if (status) blockStatuses.set(b.metadata.name!, status);
  }
  return {
    blockStatuses,
    finalize: blocks.filter((b) => b.metadata.deletionTimestamp).map((b) => b.metadata.name!),
  };
}
