import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromStatus, type Assignment } from '../ledger/ledger.js';
import { RangeSet } from '../ledger/range-set.js';
import {
  BLOCK_FINALIZER,
  type Block,
  type BlockSpecReport,
  type Worklist,
  type WorklistStatus,
} from '../api/v1alpha1/index.js';
import { orphanBlockStatus, ownBlocks } from './block-status.js';
import { nextRateSamples } from './worklist-status.js';
import { STEAL_AFTER_MS } from '../ledger/steal.js';
import {
  reconcile,
  REQUEUE_MARGIN_MS,
  UPSTREAM_BLOCKS_PER_WORKER,
  type Observed,
  type Plan,
  type QuotaUse,
} from './reconcile.js';

const T0 = new Date('2026-11-24T12:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);

function worklist(spec: Partial<Worklist['spec']> = {}): Worklist {
  return {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Worklist',
    metadata: { name: 'primes', namespace: 'ns', generation: 1 },
    spec: { source: { range: { start: 1, end: 25 } }, blockSize: 10, leaseSeconds: 60, ...spec },
  };
}

function block(name: string, age = 0): Block {
  return {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: {
      name,
      namespace: 'ns',
      generation: 1,
      creationTimestamp: later(age) as never,
      finalizers: [BLOCK_FINALIZER],
    },
    spec: { worklist: 'primes', worker: `pod-${name}` },
  };
}

/** The ranges out as the status lines say (status.assigned), one object per range by index. */
function rangesOut(s: WorklistStatus) {
  const l = fromStatus(s.totalItems ?? 0, s, 'primes');
  const byIndex = (m: ReadonlyMap<string, Assignment>) => [...m.values()].sort((x, y) => x.index - y.index);
  return {
    assignments: byIndex(l.assignments).map(({ reported, leaseExpires, ...a }) => ({
      ...a,
      done: reported.toString(),
      leaseExpires: new Date(leaseExpires).toISOString(),
    })),
    next: byIndex(l.next).map(({ reported: _, leaseExpires: __, ...a }) => a),
  };
}
const assignments = (s: WorklistStatus) => rangesOut(s).assignments;
const nextRanges = (s: WorklistStatus) => rangesOut(s).next;

/** A small world: the controller's plan is written back the way the I/O layer would. */
class World {
  worklist: Worklist;
  blocks = new Map<string, Block>();
  dead = new Set<string>();
  quotas: QuotaUse[] = [];
  budget?: number;
  total = 25;

  constructor(spec: Partial<Worklist['spec']> = {}, ...names: string[]) {
    this.worklist = worklist(spec);
    names.forEach((n, i) => this.blocks.set(n, block(n, i)));
  }

  observed(): Observed {
    return {
      worklist: this.worklist,
      blocks: [...this.blocks.values()],
      deadWorkers: this.dead,
      totalItems: this.total,
      quotas: this.quotas,
      assignmentBudget: this.budget,
    };
  }

  /** Sets when a Block was made: `s` seconds after T0 (before it, if negative). */
  bornAt(name: string, s: number): void {
    const b = this.blocks.get(name)!;
    this.blocks.set(name, { ...b, metadata: { ...b.metadata, creationTimestamp: later(s) as never } });
  }

  /** One reconcile; `writeBlocks: false` is a controller that crashed after the ledger write. */
  step(now = T0, writeBlocks = true): Plan {
    const plan = reconcile(this.observed(), now);
    this.worklist = { ...this.worklist, status: plan.status };
    if (writeBlocks) {
      for (const [name, status] of plan.blockStatuses)
        this.blocks.set(name, { ...this.blocks.get(name)!, status });
    }
    return plan;
  }

  report(
    name: string,
    report: Omit<BlockSpecReport, 'token'>,
    token = this.blocks.get(name)!.status!.token!,
  ): void {
    const b = this.blocks.get(name)!;
    const generation = (b.metadata.generation ?? 1) + 1;
    this.blocks.set(name, {
      ...b,
      metadata: { ...b.metadata, generation },
      spec: { ...b.spec, report: { token, ...report } },
    });
  }

  /** The worker (or a user) deletes the Block: it stays, marked, while it has the finalizer. */
  delete(name: string): void {
    const b = this.blocks.get(name)!;
    this.blocks.set(name, { ...b, metadata: { ...b.metadata, deletionTimestamp: T0 as never } });
  }

  status(name: string) {
    const s = this.blocks.get(name)!.status!;
    return [s.phase, s.index, s.size, s.token];
  }
}

describe('reconcile', () => {
  it('gives a new Block the first range, recording it in the ledger first', () => {
    const w = new World({}, 'a');
    const plan = w.step();
    expect(assignments(plan.status!)).toEqual([
      expect.objectContaining({ block: 'a', index: 0, size: 10, token: 1, attempt: 1 }),
    ]);
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
    expect(w.blocks.get('a')!.status!.ready).toBe('1/1');
    expect(plan.requeueAfterMs).toBe(30_000 + REQUEUE_MARGIN_MS); // half the lease: time to fold progress and renew
  });

  it('assigns Blocks oldest first, each its own range', () => {
    const w = new World({}, 'b', 'a');
    w.step();
    expect(w.status('b')).toEqual(['Ready', 0, 10, 1]);
    expect(w.status('a')).toEqual(['Ready', 10, 10, 2]);
  });

  it('folds a complete report and hands the same Block the next range', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-9', complete: true });
    const plan = w.step();
    expect(plan.status.completed).toBe('0-9');
    expect(w.status('a')).toEqual(['Ready', 10, 10, 2]);
  });

  it('ignores the old report once its range is folded (reports stay in the spec)', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-9', complete: true });
    w.step();
    const again = w.step();
    expect(again.status.completed).toBe('0-9');
    expect(assignments(again.status!)).toEqual([
      expect.objectContaining({ block: 'a', index: 10, token: 2 }),
    ]);
    expect(again.blockStatuses.size).toBe(0);
  });

  it("gives a dead worker's unreported items to another Block", () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-3' });
    w.step();
    w.dead.add('a');
    w.blocks.set('b', block('b', 5));
    const plan = w.step();
    expect(plan.reclaimed).toEqual(['a']);
    expect(plan.status.retry).toEqual([]);
    expect(w.status('b')).toEqual(['Ready', 4, 6, 2]);
    expect(assignments(plan.status!)).toEqual([expect.objectContaining({ block: 'b', attempt: 2 })]);
  });

  it('deletes the Block of a dead worker once its range is back in the ledger', () => {
    const w = new World({}, 'a', 'b');
    w.step();
    w.dead.add('a');
    const plan = w.step();
    expect(plan.deleteBlocks).toEqual(['a']);
    expect(plan.blockStatuses.has('a')).toBe(false);
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '0-9' }]);
  });

  it('takes back the range of a Block that was deleted', () => {
    const w = new World({}, 'a');
    w.step();
    w.blocks.delete('a');
    const plan = w.step();
    expect(plan.reclaimed).toEqual(['a']);
    expect(assignments(plan.status!)).toEqual([]);
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '0-9' }]);
  });

  it('takes back a range whose lease expired and looks again at the next expiry', () => {
    const w = new World({}, 'a');
    w.step();
    w.blocks.set('b', block('b', 1));
    const plan = w.step(later(61));
    expect(plan.reclaimed).toEqual(['a']);
    // b gets the expired range first (retry before fresh).
    expect(w.status('b')).toEqual(['Ready', 0, 10, 2]);
    expect(plan.requeueAfterMs).toBe(30_000 + REQUEUE_MARGIN_MS);
  });

  it('gives a Block whose lease ran out nothing more until its worker writes to it again', () => {
    const w = new World({}, 'a');
    w.step();
    w.step(later(61));
    expect(w.status('a')).toEqual(['Lost', 'Pending', 'Pending', 1]);
    expect(w.blocks.get('a')!.status).toMatchObject({
      ready: '0/1',
      observedGeneration: 1,
      message: 'its lease ran out: its range went to others; it gets a new one once its worker reports again',
    });
    expect(w.step(later(70)).blockStatuses.size).toBe(0); // still nothing: a dead worker would wait forever
    // The worker was only slow: its next (late) report is a sign of life.
    w.report('a', { done: '0-3' });
    const plan = w.step(later(71));
    expect(plan.reports).toEqual([{ block: 'a', generation: 2, outcome: 'stale' }]);
    expect(w.status('a')).toEqual(['Ready', 0, 10, 2]);
  });

  it('assigns nothing while suspended, and says so', () => {
    const w = new World({ suspend: true }, 'a');
    const plan = w.step();
    expect(assignments(plan.status!)).toEqual([]);
    expect(w.blocks.get('a')!.status).toMatchObject({
      phase: 'Pending',
      message: 'the Worklist is suspended',
    });
  });

  it('keeps at most maxBlocksInFlight ranges out', () => {
    const w = new World({ maxBlocksInFlight: 1 }, 'a', 'b');
    w.step();
    expect(w.status('a')[0]).toBe('Ready');
    expect(w.status('b')).toEqual(['Pending', 'Pending', 'Pending', undefined]);
  });

  it('keeps idle Blocks waiting while ranges are out, since one may come back', () => {
    const w = new World({}, 'a', 'b', 'c', 'd');
    w.step();
    expect(w.blocks.get('d')!.status).toMatchObject({
      phase: 'Pending',
      ready: '0/1',
      message: 'every range is handed out; waiting in case one comes back',
    });
    w.dead.add('a');
    w.step();
    expect(w.status('d')).toEqual(['Ready', 0, 10, 4]);
  });

  it('takes back the range of a worker that went silent after a partial report', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-2', renewTime: later(10).toISOString() });
    for (const s of [20, 40, 60]) expect(w.step(later(s)).reclaimed).toEqual([]);
    expect(assignments(w.worklist.status!)[0]!.done).toBe('0-2'); // folded at half the lease
    expect(w.step(later(71)).reclaimed).toEqual(['a']); // the lease ran from its renewTime, 10 s
    expect(w.worklist.status!.completed).toBe('0-2');
  });

  it('leaves partial progress in the Block until half the lease is gone (no Worklist write per report)', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-2', renewTime: later(1).toISOString() });
    const early = w.step(later(1));
    expect(assignments(early.status!)[0]!.done).toBe('');
    expect(early.requeueAfterMs).toBe(29_000 + REQUEUE_MARGIN_MS);
    const due = w.step(later(30));
    expect(assignments(due.status!)[0]).toMatchObject({ done: '0-2', leaseExpires: later(61).toISOString() });
  });

  it('renews the lease on a newer renewTime without new items', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { renewTime: later(50).toISOString() });
    w.step(later(50));
    expect(w.step(later(100)).reclaimed).toEqual([]);
    expect(w.step(later(111)).reclaimed).toEqual(['a']);
  });

  it('writes the same status when a pass later sees the same report (no write loop)', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-2', renewTime: later(5).toISOString() });
    const first = w.step(later(31));
    const second = w.step(later(40));
    expect(second.status).toEqual(first.status);
    expect(second.blockStatuses.size).toBe(0);
  });

  it('marks the Worklist Complete, with a completion time, when every item is processed', () => {
    const w = new World({}, 'a');
    for (let i = 0; i < 3; i++) {
      w.step(later(i));
      const s = w.blocks.get('a')!.status!;
      w.report('a', { done: `${s.index}-${Number(s.index) + Number(s.size) - 1}`, complete: true });
    }
    const plan = w.step(later(3));
    expect(plan.status).toMatchObject({
      completedItems: 25,
      completed: '0-24',
      completionTime: later(3).toISOString(),
    });
    expect(plan.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Complete',
        status: 'True',
        reason: 'AllItemsProcessed',
        observedGeneration: 1,
      }),
    );
    expect(w.status('a')[0]).toBe('Drained');
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'Completed', message: '25 completed, 0 failed' }]);
    expect(w.step(later(4)).events).toEqual([]);
  });

  it('gives a released Block nothing new', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-4', release: true });
    const plan = w.step();
    expect(w.status('a')[0]).toBe('Released');
    expect(assignments(plan.status!)).toEqual([]);
    expect(plan.status.completed).toBe('0-4');
  });

  it('repairs a crash between the ledger write and the Block write without a new assignment', () => {
    const w = new World({}, 'a');
    w.step(T0, false);
    expect(w.blocks.get('a')!.status).toBeUndefined();
    const plan = w.step();
    expect(plan.status.nextToken).toBe(2);
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
  });

  it('folds the last report of a Block being deleted before its finalizer goes', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-6' });
    w.delete('a');
    const plan = w.step();
    expect(plan.status.completed).toBe('0-6');
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '7-9' }]);
    expect(plan.finalize).toEqual(['a']);
    expect(plan.blockStatuses.has('a')).toBe(false);
    expect(plan.events).toEqual([
      {
        type: 'Warning',
        reason: 'WorkerLost',
        message: 'block a: its Block was deleted; offsets 7-9 go back to the pool',
      },
    ]);
  });

  it('lets the finalizer of a released Block go without costing an attempt', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-1', release: true });
    w.delete('a');
    const plan = w.step();
    expect(plan.status).toMatchObject({ completed: '0-1', retry: [] });
    expect(plan.finalize).toEqual(['a']);
    expect(plan.events).toEqual([]);
  });

  it("folds a dead worker's last report, so what it finished is not run again", () => {
    const w = new World({}, 'a', 'b');
    w.step();
    w.report('a', { done: '0-5' });
    w.dead.add('a');
    const plan = w.step();
    expect(plan.status.completed).toBe('0-5');
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '6-9' }]);
    expect(plan.events.map((e) => e.reason)).toEqual(['WorkerLost']);
  });

  it('records a lease expiry as an Event naming what goes back', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-2' });
    w.step();
    expect(w.step(later(61)).events).toEqual([
      {
        type: 'Warning',
        reason: 'LeaseExpired',
        message: 'block a: no report for 60s; offsets 3-9 go back to the pool',
      },
    ]);
  });

  it('records items that used their last attempt as an Event', () => {
    const w = new World({ maxAttempts: 1 }, 'a');
    w.step();
    w.report('a', { done: '0-7', failed: '8-9', complete: true });
    expect(w.step().events).toEqual([
      { type: 'Warning', reason: 'ItemsFailed', message: '2 item(s) failed 1 attempt(s): offsets 8-9' },
    ]);
  });

  it('names in that Event why the worker says its items failed (the out-of-memory killer, say)', () => {
    const w = new World({ maxAttempts: 1 }, 'a');
    w.step();
    w.report('a', {
      done: '0-7',
      failed: '8-9',
      complete: true,
      message: 'killed by the out-of-memory killer',
    });
    expect(w.step().events).toEqual([
      {
        type: 'Warning',
        reason: 'ItemsFailed',
        message:
          '2 item(s) failed 1 attempt(s): offsets 8-9; last failure, a: killed by the out-of-memory killer',
      },
    ]);
  });

  it('calls a report stale when its token is not the range the Block holds now', () => {
    const w = new World({}, 'a');
    w.step();
    w.step(later(61)); // lease expired; a gets a new range with token 2
    w.report('a', { done: '0-9', complete: true }, 1);
    const plan = w.step(later(62));
    expect(plan.reports).toEqual([{ block: 'a', generation: 2, outcome: 'stale' }]);
    expect(plan.status.completed).toBe('');
  });

  it.each([
    ['a range that ends before it starts', { done: '9-3', complete: true }, '"9-3" ends before it starts'],
    [
      'an offset that is not a number',
      { failed: 'abc', complete: true },
      '"abc" is not an offset or a range like 3-7',
    ],
    ['an offset past 2^53', { done: '99999999999999999999', complete: true }, 'offsets are whole numbers'],
  ])('ignores a report with %s for its Block alone, and the Worklist goes on', (_, report, problem) => {
    const w = new World({}, 'a', 'b');
    w.step();
    w.report('a', report);
    w.report('b', { done: '10-19', complete: true });
    const plan = w.step();
    expect(plan.reports).toEqual([
      { block: 'a', generation: 2, outcome: 'malformed', problem: expect.stringContaining(problem) },
      { block: 'b', generation: 2, outcome: 'applied' },
    ]);
    expect(plan.status.completed).toBe('10-19');
    expect(w.status('b')).toEqual(['Ready', 20, 5, 3]);
    // a keeps its range until its lease runs out, then it goes to someone else.
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
    w.report('b', { done: '20-24', complete: true });
    expect(w.step(later(61)).reclaimed).toEqual(['a']);
    expect(w.status('b')).toEqual(['Ready', 0, 10, 4]);
    expect(assignments(w.worklist.status!)).toEqual([expect.objectContaining({ block: 'b', attempt: 2 })]);
  });

  it('stops handing out ranges once the failed items form more ranges than a Worklist records, and a retry starts it again', () => {
    const w = new World({ source: { range: { start: 0, end: 9999 } }, maxAttempts: 1 }, 'a', 'b');
    w.total = 10_000;
    // Every other item of the first 2,002 failed: 1,001 separate failed ranges.
    const scattered = Array.from({ length: 1001 }, (_, i) => String(2 * i)).join(',');
    const between = Array.from({ length: 1001 }, (_, i) => String(2 * i + 1)).join(',');
    w.worklist = { ...w.worklist, status: { completed: between, failed: scattered, nextToken: 1 } };
    const plan = w.step();
    expect(assignments(plan.status!)).toEqual([]);
    expect(w.status('a')).toEqual(['Pending', 'Pending', 'Pending', undefined]);
    expect(w.blocks.get('a')!.status!.message).toBe(
      'the Worklist failed (TooManyFailedRanges): nothing is handed out',
    );
    const failed = plan.status.conditions!.find((c) => c.type === 'Failed');
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'TooManyFailedRanges',
      message:
        'the failed items form 1001 separate ranges, more than the 1000 a Worklist records: nothing new is handed out; fix the command, then run kubectl teamtask retry primes --failed',
    });
    expect(plan.events).toContainEqual({ type: 'Warning', reason: 'Failed', message: failed!.message });

    w.worklist = { ...w.worklist, spec: { ...w.worklist.spec, retry: { id: 1, failed: true } } };
    const again = w.step();
    expect(again.status.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ status: 'False' });
    expect(w.status('a')).toEqual(['Ready', 0, 1, 1]);
  });

  it('hands a Block that gave back the rest of a range to go on (its report was long enough) the next one', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-3', release: true, next: true });
    const plan = w.step();
    expect(plan.status.completed).toBe('0-3');
    // The items it did not try are fresh work again, not a used attempt: it gets them back.
    expect(w.status('a')).toEqual(['Ready', 4, 10, 2]);
    expect(assignments(plan.status!)).toEqual([expect.objectContaining({ block: 'a', attempt: 1 })]);
  });

  it('ignores a report that was in the Block before its range was handed out', () => {
    const w = new World({}, 'a');
    const forged = { token: 1, done: '0-9', complete: true };
    w.blocks.set('a', { ...w.blocks.get('a')!, spec: { worklist: 'primes', report: forged } });
    w.step();
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
    const plan = w.step();
    expect(plan.reports).toEqual([{ block: 'a', generation: 1, outcome: 'stale' }]);
    expect(plan.status.completed).toBe('');
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
    // The worker's own report, written after it saw the range, counts.
    w.report('a', { done: '0-9', complete: true });
    expect(w.step().status.completed).toBe('0-9');
  });

  it('deletes the Block of a worker outside a pod that stays Lost 10 minutes, and says so', () => {
    const w = new World({}, 'a', 'b');
    w.blocks.set('b', {
      ...w.blocks.get('b')!,
      metadata: { ...w.blocks.get('b')!.metadata, labels: { 'teamtask.dev/pod': 'pod-b' } },
    });
    w.step();
    const lost = w.step(later(61));
    expect(lost.status.lost).toEqual([
      { block: 'a', generation: 1, since: later(61).toISOString() },
      { block: 'b', generation: 1, since: later(61).toISOString() },
    ]);
    expect(lost.status.workers).toBe(0); // Lost workers are not counted as at work
    expect(lost.requeueAfterMs).toBe(600_000 + REQUEUE_MARGIN_MS);
    expect(w.step(later(660)).deleteBlocks).toEqual([]);
    const plan = w.step(later(661));
    // b's pod is watched: whether it lives is the pod's to say.
    expect(plan.deleteBlocks).toEqual(['a']);
    expect(plan.events).toContainEqual({
      type: 'Normal',
      reason: 'BlockRemoved',
      message:
        'block a: its worker outside the cluster said nothing for 10 minutes after its lease ran out: deleted',
    });
  });

  it('counts no workers once every item is done, and deletes Blocks left behind 10 minutes after', () => {
    const w = new World({}, 'a');
    w.step();
    for (const [token, range] of [
      [undefined, '0-9'],
      [undefined, '10-19'],
      [undefined, '20-24'],
    ] as const) {
      w.report('a', { done: range, complete: true }, token);
      w.step();
    }
    expect(w.worklist.status).toMatchObject({ completedItems: 25, workers: 0 });
    expect(w.status('a')[0]).toBe('Drained');
    expect(w.step(later(599)).deleteBlocks).toEqual([]);
    const plan = w.step(later(600));
    expect(plan.deleteBlocks).toEqual(['a']);
    expect(plan.events).toContainEqual(expect.objectContaining({ reason: 'BlockRemoved' }));
  });

  it('leaves out the Blocks of an earlier Worklist of the same name, still waiting for the garbage collector', () => {
    const w = { ...worklist(), metadata: { ...worklist().metadata, uid: 'new' } };
    const owned = (name: string, uid?: string) => ({
      ...block(name),
      metadata: {
        ...block(name).metadata,
        ...(uid
          ? {
              ownerReferences: [
                { apiVersion: 'teamtask.dev/v1alpha1', kind: 'Worklist', name: 'primes', uid },
              ],
            }
          : {}),
      },
    });
    const mine = ownBlocks(w, [owned('a', 'new'), owned('old', 'earlier'), owned('hand-made')]);
    expect(mine.map((b) => b.metadata.name)).toEqual(['a', 'hand-made']);
  });

  it('tells a Block that names a Worklist its namespace lacks, once', () => {
    const b = { ...block('a'), spec: { worklist: 'prims' } };
    const status = orphanBlockStatus(b);
    expect(status).toMatchObject({
      phase: 'Pending',
      message:
        'Worklist prims does not exist in namespace ns: check spec.worklist (kubectl get worklists -n ns)',
    });
    expect(orphanBlockStatus({ ...b, status })).toBeUndefined();
    expect(
      orphanBlockStatus({ ...b, metadata: { ...b.metadata, deletionTimestamp: T0 as never } }),
    ).toBeUndefined();
  });

  it('hands out no more new ranges than the rate limits allow, and says why the rest wait', () => {
    const w = new World({}, 'a', 'b', 'c');
    w.budget = 1;
    const plan = w.step();
    expect(plan).toMatchObject({ assigned: 1, throttled: true });
    expect(w.status('a')[0]).toBe('Ready');
    expect(w.blocks.get('b')!.status).toMatchObject({
      phase: 'Pending',
      message: 'waiting for a range (assignment rate limit)',
    });
    w.budget = 5;
    expect(w.step()).toMatchObject({ assigned: 2, throttled: false });
  });

  it('is QuotaLimited while a ResourceQuota on Blocks is full and items remain, with one Event', () => {
    const w = new World({}, 'a');
    w.quotas = [{ quota: 'workers', resource: 'count/blocks.teamtask.dev', hard: 1, used: 1 }];
    const plan = w.step();
    const message =
      'ResourceQuota workers allows 1 count/blocks.teamtask.dev, 1 in use: more workers wait for a slot';
    expect(plan.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'QuotaLimited', status: 'True', reason: 'QuotaExhausted', message }),
    );
    expect(plan.events).toEqual([{ type: 'Warning', reason: 'QuotaLimited', message }]);
    expect(w.step().events).toEqual([]);
    w.quotas = [{ quota: 'workers', resource: 'count/blocks.teamtask.dev', hard: 2, used: 1 }];
    expect(w.step().status.conditions).toContainEqual(
      expect.objectContaining({ type: 'QuotaLimited', status: 'False', reason: 'WithinQuota' }),
    );
  });

  it('puts failed items (and asked-for offsets) back into the pool once per retry request', () => {
    const w = new World({ maxAttempts: 1 }, 'a');
    w.step();
    w.report('a', { done: '0-7', failed: '8-9', complete: true });
    w.step(); // a now holds 10-19
    w.worklist = {
      ...w.worklist,
      spec: { ...w.worklist.spec, retry: { id: 1, failed: true, ranges: '0,15' } },
    };
    const plan = w.step();
    expect(plan.status).toMatchObject({ retryApplied: 1, failed: '', completed: '1-7' });
    expect(plan.events).toEqual([
      { type: 'Normal', reason: 'Retried', message: 'retry 1: 3 item(s) back in the pool: offsets 0,8-9' },
    ]);
    expect(w.step().events).toEqual([]); // applied once
  });

  it('answers a malformed retry request with an Event instead of stopping the Worklist', () => {
    const w = new World({}, 'a');
    w.worklist = { ...w.worklist, spec: { ...w.worklist.spec, retry: { id: 1, ranges: '9-3' } } };
    const plan = w.step();
    expect(plan.status.retryApplied).toBe(1);
    expect(plan.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'RetryRefused' })]);
    expect(w.status('a')[0]).toBe('Ready');
  });

  it('is level-triggered: a pass over its own result changes nothing', () => {
    const w = new World({}, 'a', 'b');
    w.step();
    const before = structuredClone(w.worklist.status);
    const again = w.step();
    expect(again.blockStatuses.size).toBe(0);
    expect(again.status).toEqual(before);
  });
});

describe('reconcile: next ranges (no worker waits for a pass)', () => {
  /** The worker finished its range and started its next one: one write says both. */
  const switchTo = (w: World, name: string) => {
    const s = w.blocks.get(name)!.status!;
    const done = `${s.index}-${Number(s.index) + Number(s.size) - 1}`;
    w.report(name, { finished: { token: s.token!, done } }, s.next!.token);
  };
  /** A World of 60 items in which Block a finished its first range: it works on 10-19, 20-29 next. */
  const working = (spec: Partial<Worklist['spec']> = {}) => {
    const w = new World(spec, 'a');
    w.total = 60;
    w.step();
    w.report('a', { done: '0-9', complete: true });
    w.step();
    return w;
  };

  it('hands a Block no next range before it has finished one: its range may be long, and others may come', () => {
    const w = new World({}, 'a');
    w.total = 60;
    const plan = w.step();
    expect(nextRanges(plan.status!)).toEqual([]);
    expect(w.blocks.get('a')!.status!.next).toBeUndefined();
  });

  it("hands a Block that finished a range the one it starts next, in the ledger and in the Block's status", () => {
    const w = working();
    expect(w.status('a')).toEqual(['Ready', 10, 10, 2]);
    expect(nextRanges(w.worklist.status!)).toEqual([
      expect.objectContaining({ block: 'a', index: 20, size: 10, token: 3 }),
    ]);
    expect(w.blocks.get('a')!.status!.next).toEqual({ index: 20, size: 10, token: 3, attempt: 1 });
  });

  it('hands out no next range once the pool holds less than one range per working Block', () => {
    const w = new World({}, 'a', 'b');
    w.total = 40;
    w.step();
    w.report('a', { done: '0-9', complete: true });
    const plan = w.step();
    // a works on 20-29, b on 10-19: 30-39 left, less than a range for each.
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
    expect(nextRanges(plan.status!)).toEqual([]);
  });

  it('folds a switch in one pass: the finished range completes, the next is current, a new next follows', () => {
    const w = working();
    switchTo(w, 'a');
    const plan = w.step();
    expect(plan.status.completed).toBe('0-19');
    expect(plan.reports).toEqual([{ block: 'a', generation: 3, outcome: 'applied' }]);
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
    expect(w.blocks.get('a')!.status!.next).toMatchObject({ index: 30, token: 4 });
    // The switch report stays in the Block: seen again, it is an ordinary partial report.
    expect(w.step().blockStatuses.size).toBe(0);
  });

  it('ignores a report on the next range that does not end the current one', () => {
    const w = working();
    w.report('a', { done: '20-22' }, 3);
    const plan = w.step();
    expect(plan.reports).toEqual([{ block: 'a', generation: 3, outcome: 'stale' }]);
    expect(plan.status.completed).toBe('0-9');
    expect(w.status('a')).toEqual(['Ready', 10, 10, 2]);
  });

  it("gives back a stopping Block's next range untouched, and hands it to another Block", () => {
    const w = working();
    w.report('a', { done: '10-13', release: true });
    w.blocks.set('b', block('b', 1));
    const plan = w.step();
    expect(w.status('a')[0]).toBe('Released');
    expect(plan.status.retry).toEqual([]);
    expect(w.status('b')).toEqual(['Ready', 14, 10, 4]);
  });

  it('gives a worker that stopped right after a switch nothing more, though its status still shows the range it switched from', () => {
    const w = working();
    w.report('a', { done: '20-21', release: true, finished: { token: 2, done: '10-19' } }, 3);
    const plan = w.step();
    expect(plan.status).toMatchObject({ completed: '0-21', assigned: [] });
    expect(w.blocks.get('a')!.status).toMatchObject({ phase: 'Released', token: 3 });
    // Nothing charged: what it had not started is fresh work again.
    expect(plan.status.retry).toEqual([]);
    expect(w.step().blockStatuses.size).toBe(0);
  });

  it('hands out no next range while suspended; one already handed out stays', () => {
    const w = working();
    w.worklist = { ...w.worklist, spec: { ...w.worklist.spec, suspend: true } };
    switchTo(w, 'a');
    const plan = w.step();
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
    expect(nextRanges(plan.status!)).toEqual([]);
  });

  it('repairs a crash between the ledger write and the Block write of a switch without a new range', () => {
    const w = working();
    switchTo(w, 'a');
    w.step(T0, false);
    const plan = w.step();
    expect(plan.status.nextToken).toBe(5);
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
    expect(w.blocks.get('a')!.status!.next).toMatchObject({ index: 30, token: 4 });
  });

  it("takes a dead worker's next range back whole, costing nothing", () => {
    const w = working();
    w.dead.add('a');
    const plan = w.step();
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '10-19' }]);
    expect(plan.events[0]!.message).toBe(
      "block a: its worker's pod is gone; offsets 10-29 go back to the pool",
    );
  });
});

describe('reconcile: ranges sized by their workers', () => {
  /** `total` items, Blocks a and b; a finished its first range and asks for `rangeSize`. */
  const asking = (total: number, rangeSize: number) => {
    const w = new World({}, 'a', 'b');
    w.total = total;
    w.step();
    w.report('a', { done: '0-9', complete: true, rangeSize });
    w.step();
    return w;
  };

  it('hands a Block the items its worker asks for (rangeSize), in whole blocks, within a share of the pool', () => {
    // a ran its 10 items fast: it asks for 95 (its pace over 5 s).
    const w = asking(1000, 95);
    expect(w.status('a')).toEqual(['Ready', 20, 90, 3]);
    // Its next range too; b, which asks for nothing, keeps getting one block.
    expect(w.blocks.get('a')!.status!.next).toMatchObject({ index: 110, size: 90 });
    w.report('b', { done: '10-19', complete: true });
    w.step();
    expect(w.status('b')).toEqual(['Ready', 200, 10, 5]);
  });

  it('sizes a first range from a size its Block was made with, and gives the next one with it (a secondary Worklist knows its pace before it runs anything)', () => {
    const w = new World({}, 'a', 'b');
    w.total = 1000;
    const a = w.blocks.get('a')!;
    w.blocks.set('a', { ...a, spec: { ...a.spec, report: { token: 0, rangeSize: 300 } } });
    w.step();
    expect(w.status('a')).toEqual(['Ready', 0, 300, 1]);
    expect(w.blocks.get('a')!.status!.next).toMatchObject({ index: 310, size: 300 });
    // b asked for nothing: one block, and nothing behind it.
    expect(w.status('b')).toEqual(['Ready', 300, 10, 2]);
    expect(w.blocks.get('b')!.status!.next).toBeUndefined();
  });

  it('hands out smaller ranges as the pool empties, down to one block', () => {
    const w = asking(50, 1000);
    // 30 items left for 2 working Blocks: an even share is 15, one block.
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
  });
});

describe('reconcile: tail stealing (an idle worker takes the unstarted tail of a slow range)', () => {
  /**
   * 20 items, every one handed out: a works on 0-9, and b, done with 10-19, waits. a's worker
   * runs items one by one (its Block says so): its running range can be split.
   */
  const tail = () => {
    const w = new World({}, 'a', 'b');
    const a = w.blocks.get('a')!;
    w.blocks.set('a', { ...a, spec: { ...a.spec, splittable: true } });
    w.total = 20;
    w.step();
    w.report('b', { done: '10-19', complete: true });
    w.step();
    return w;
  };
  const slow = later(STEAL_AFTER_MS / 1000);
  /** 30 items: a finished 0-9, works on 10-19 with 20-29 next; b has just come and idles. */
  const nextAndIdle = () => {
    const w = new World({}, 'a');
    w.total = 30;
    w.step();
    w.report('a', { done: '0-9', complete: true });
    w.step();
    w.blocks.set('b', block('b', 1));
    return w;
  };

  it("asks a slow range's worker to yield the second half of what it has not reported", () => {
    const w = tail();
    expect(w.status('b')[0]).toBe('Pending');
    const plan = w.step(slow);
    expect(plan.stealAsks).toBe(1);
    expect(assignments(plan.status!)).toEqual([
      expect.objectContaining({ block: 'a', size: 10, yieldFrom: 5 }),
    ]);
    expect(w.blocks.get('a')!.status).toMatchObject({ phase: 'Ready', index: 0, size: 10, yieldFrom: 5 });
    // Nothing changes hands before the worker answers: only it knows what it started.
    expect(w.status('b')[0]).toBe('Pending');
    expect(w.step(slow).blockStatuses.size).toBe(0);
  });

  it('asks nothing of a range younger than STEAL_AFTER_MS, and looks again when it is old enough', () => {
    const plan = tail().step(later(0.5));
    expect(plan.stealAsks).toBe(0);
    // Nothing else would wake the controller: the idle worker only reads its Block.
    expect(plan.requeueAfterMs).toBe(STEAL_AFTER_MS - 500 + REQUEUE_MARGIN_MS);
  });

  it('hands what the worker yields to the idle Block in the pass that folds its answer, costing no attempt', () => {
    const w = tail();
    w.step(slow);
    // It had started 0-6 when it read the ask: it yields from 7, the first item it had not started.
    w.report('a', { done: '0-2', yieldFrom: 7 });
    const plan = w.step(slow);
    expect(w.blocks.get('a')!.status).toMatchObject({ phase: 'Ready', index: 0, size: 7, token: 1 });
    expect(w.blocks.get('a')!.status!.yieldFrom).toBeUndefined();
    expect(w.status('b')).toEqual(['Ready', 7, 3, 3]);
    expect(plan.status).toMatchObject({ completed: '0-2,10-19', retry: [] });
    expect(assignments(plan.status!)).toContainEqual(expect.objectContaining({ block: 'b', attempt: 1 }));
    // Then each finishes its part: every item once.
    w.report('a', { done: '0-6', yieldFrom: 7, complete: true });
    w.report('b', { done: '7-9', complete: true });
    expect(w.step(slow).status).toMatchObject({ completed: '0-19', assigned: [] });
  });

  it('takes a whole next range from a Block whose current range runs long', () => {
    const w = nextAndIdle();
    expect(w.blocks.get('a')!.status!.next).toMatchObject({ index: 20, size: 10 });
    w.step(slow);
    expect(w.blocks.get('a')!.status).toMatchObject({ index: 10, size: 10, yieldFrom: 20 });
    w.report('a', { yieldFrom: 20 });
    w.step(slow);
    expect(w.blocks.get('a')!.status!.next).toBeUndefined();
    expect(w.status('a')).toEqual(['Ready', 10, 10, 2]);
    expect(w.status('b')).toEqual(['Ready', 20, 10, 4]);
  });

  it('forgets the ask when the worker switched before it read it: the range it asked about is done', () => {
    const w = nextAndIdle();
    w.step(slow);
    w.report('a', { finished: { token: 2, done: '10-19' } }, 3);
    const plan = w.step(slow);
    expect(w.status('a')).toEqual(['Ready', 20, 10, 3]);
    expect(w.blocks.get('a')!.status!.yieldFrom).toBeUndefined();
    expect(assignments(plan.status!)).toEqual([expect.objectContaining({ block: 'a', index: 20 })]);
    expect(assignments(plan.status!)[0]!.yieldFrom).toBeUndefined();
  });

  it('repairs a crash between the ask in the ledger and the Block write, asking nothing new', () => {
    const w = tail();
    w.step(slow, false);
    const plan = w.step(slow);
    expect(plan.stealAsks).toBe(0);
    expect(w.blocks.get('a')!.status).toMatchObject({ yieldFrom: 5 });
  });

  it('asks no part of a running range of a worker that runs it as one command (--per-block)', () => {
    const w = new World({}, 'a', 'b');
    w.total = 20;
    w.step();
    w.report('b', { done: '10-19', complete: true });
    w.step();
    const plan = w.step(slow);
    expect(plan.stealAsks).toBe(0);
    expect(plan.requeueAfterMs).toBeGreaterThan(STEAL_AFTER_MS);
  });

  it('asks no one while suspended', () => {
    const w = tail();
    w.worklist = { ...w.worklist, spec: { ...w.worklist.spec, suspend: true } };
    expect(w.step(slow).stealAsks).toBe(0);
  });
});

describe('reconcile under random worker behaviour', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('work' as const),
      block: fc.constantFrom('a', 'b', 'c'),
      all: fc.boolean(),
      // Finishing the range, starts the next one if it has one (the switch) instead of waiting.
      pipelined: fc.boolean(),
    }),
    // Answers an ask to yield: it started nothing past what it reported.
    fc.record({ kind: fc.constant('yield' as const), block: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('die' as const), block: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('quit' as const), block: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('crash' as const) }),
    fc.record({ kind: fc.constant('tick' as const), s: fc.nat(90) }),
  );

  it('never hands out completed items, and honest workers then finish the Worklist', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 40 }), (ops) => {
        const w = new World({ maxAttempts: 100 }, 'a', 'b', 'c');
        let now = 0;
        let generation = 0;
        const live = (name: string) => [...w.blocks.keys()].find((k) => k.startsWith(name))!;
        const honest = (name: string, all = true, pipelined = false) => {
          const s = w.blocks.get(name)?.status;
          // A live worker that lost its lease writes again (its late report), and so comes back.
          if (s?.phase === 'Lost') return w.report(name, { renewTime: later(now).toISOString() });
          if (s?.phase !== 'Ready') return;
          const end = Number(s.index) + (all ? Number(s.size) : 1) - 1;
          const done = `${s.index}-${end}`;
          // A switch from a status the controller rewrote since is still a valid write: the
          // worker read it; if its range moved on, the controller calls the report stale.
          if (all && pipelined && s.next)
            w.report(name, { finished: { token: s.token!, done } }, s.next.token);
          else w.report(name, { done, complete: all });
        };
        const check = (plan: Plan) => {
          const completed = RangeSet.parse(plan.status.completed ?? '');
          const out = [...(assignments(plan.status!) ?? []), ...(nextRanges(plan.status!) ?? [])];
          for (const a of out.map((x) => ({ done: '', ...x }))) {
            const held = RangeSet.span(a.index, a.index + a.size - 1).subtract(RangeSet.parse(a.done));
            expect(held.intersect(completed).isEmpty).toBe(true);
          }
          const working = new Set((assignments(plan.status!) ?? []).map((a) => a.block));
          for (const n of nextRanges(plan.status!) ?? []) expect(working.has(n.block)).toBe(true);
        };
        const answer = (name: string) => {
          const b = w.blocks.get(name)!;
          const s = b.status;
          if (s?.phase !== 'Ready' || s.yieldFrom === undefined) return;
          const prev = b.spec.report?.token === s.token ? b.spec.report : undefined;
          const done = RangeSet.parse(prev?.done ?? '');
          const started = done.isEmpty ? Number(s.index) : done.ranges.at(-1)!.end + 1;
          w.report(name, { done: done.toString(), yieldFrom: Math.max(s.yieldFrom, started) });
        };
        for (const o of ops) {
          if (o.kind === 'work') honest(live(o.block), o.all, o.pipelined);
          if (o.kind === 'yield') answer(live(o.block));
          if (o.kind === 'die') {
            // The pod dies; its Job replaces it with a new pod, which makes a new Block.
            const name = live(o.block);
            w.dead.add(name);
            check(w.step(later(now)));
            w.blocks.delete(name);
            w.dead.delete(name);
            const next = `${o.block}${++generation}`;
            w.blocks.set(next, block(next, now));
          }
          if (o.kind === 'quit') {
            // The worker deletes its Block mid-range (it was killed after a partial report);
            // the finalizer holds the Block until the controller folded it.
            const name = live(o.block);
            honest(name, false);
            w.delete(name);
            const plan = w.step(later(now));
            check(plan);
            expect(plan.finalize).toEqual([name]);
            w.blocks.delete(name);
            const next = `${o.block}${++generation}`;
            w.blocks.set(next, block(next, now));
          }
          if (o.kind === 'tick') now += o.s;
          check(w.step(later(now), o.kind !== 'crash'));
        }
        for (let i = 0; i < 50 && w.worklist.status?.completedItems !== 25; i++) {
          for (const name of w.blocks.keys()) honest(name);
          check(w.step(later(now)));
        }
        expect(w.worklist.status).toMatchObject({ completed: '0-24', completedItems: 25, failedItems: 0 });
      }),
      { numRuns: 200 },
    );
  });
});

describe('nextRateSamples', () => {
  const at = (s: number, finishedItems: number) => ({ time: later(s).toISOString(), finishedItems });
  it.each([
    { name: 'starts with the first count', prev: undefined, finished: 5, now: 0, want: [at(0, 5)] },
    { name: 'keeps them while nothing finishes', prev: [at(0, 5)], finished: 5, now: 100, want: [at(0, 5)] },
    { name: 'keeps them for 30 s', prev: [at(0, 5)], finished: 9, now: 29, want: [at(0, 5)] },
    { name: 'adds one after 30 s', prev: [at(0, 5)], finished: 9, now: 30, want: [at(0, 5), at(30, 9)] },
    {
      name: 'keeps the two newest',
      prev: [at(0, 5), at(30, 9)],
      finished: 20,
      now: 61,
      want: [at(30, 9), at(61, 20)],
    },
    {
      name: 'starts afresh when a retry lowered the count',
      prev: [at(0, 5), at(30, 9)],
      finished: 3,
      now: 40,
      want: [at(40, 3)],
    },
  ])('$name', ({ prev, finished, now, want }) => {
    expect(nextRateSamples(prev, finished, later(now))).toEqual(want);
  });
});

describe("reconcile's one requeue decision", () => {
  const lease = 60_000;
  const cm = { configMap: { name: 'hosts' } };
  it.each<{
    name: string;
    spec?: Partial<Worklist['spec']>;
    blocks: string[];
    extra?: Partial<Observed>;
    budget?: number;
    want: number | undefined;
  }>([
    { name: 'nothing to look at again when no Block holds a range', blocks: [], want: undefined },
    { name: 'half a lease after a range is handed out', blocks: ['a'], want: lease / 2 + REQUEUE_MARGIN_MS },
    {
      name: 'when a Block waiting for its pod passes its grace period, if that is sooner',
      blocks: ['a'],
      extra: { recheckWorkersAfterMs: 4000 },
      want: 4000,
    },
    {
      name: 'when the rate limits allow the next assignment, if the plan was throttled',
      blocks: ['a', 'b'],
      budget: 1,
      extra: { assignmentWaitMs: 20 },
      want: 20,
    },
    {
      name: 'not at the rate limit when the plan was not throttled',
      blocks: ['a'],
      budget: 1,
      extra: { assignmentWaitMs: 20 },
      want: lease / 2 + REQUEUE_MARGIN_MS,
    },
    {
      name: 'every 30 s while a running Worklist reads a ConfigMap (it may be deleted under it)',
      spec: { source: cm },
      blocks: [],
      extra: { source: {}, totalItems: 25 },
      want: 30_000,
    },
    {
      name: 'every 30 s while a ConfigMap source is unreadable and never counted',
      spec: { source: cm },
      blocks: ['a'],
      extra: {
        source: { problem: { reason: 'ConfigMapMissing', message: 'gone' } },
        totalItems: undefined,
      },
      want: 30_000,
    },
  ])('looks again $name', ({ spec, blocks, extra, budget, want }) => {
    const w = new World(spec ?? {}, ...blocks);
    w.budget = budget;
    const plan = reconcile({ ...w.observed(), ...extra }, T0);
    expect(plan.requeueAfterMs).toBe(want);
  });

  it('writes only the Ready condition for a ConfigMap source never counted and unreadable now', () => {
    const w = new World({ source: { configMap: { name: 'hosts' } } }, 'a');
    const problem = { reason: 'ConfigMapMissing', message: 'ConfigMap hosts is not found' };
    const plan = reconcile({ ...w.observed(), totalItems: undefined, source: { problem } }, T0);
    expect(plan.status.totalItems).toBeUndefined();
    expect(plan.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', ...problem }),
    ]);
    expect(plan.blockStatuses.size).toBe(0);
    expect(plan.events).toEqual([{ type: 'Warning', ...problem }]);
  });
});

// A secondary Worklist (spec.source.worklist) in reconcile: its ledger scoped to the parent range
// its Block in the parent's namespace shows, reports upward in the plan (docs/secondary.md).
describe('reconcile a secondary Worklist', () => {
  const parentRange = { index: 200, size: 30, token: 5 };
  function secondary(parentStatus?: Block['status'], report?: BlockSpecReport, parentPool?: number) {
    const w = new World(
      { source: { worklist: { name: 'top', namespace: 'up' } }, blockSize: 10 },
      'w0',
      'w1',
    );
    w.total = 1000;
    // Its workers arrived a while ago (a secondary waits for them before asking its parent).
    w.bornAt('w0', -60);
    w.bornAt('w1', -59);
    const parentBlock: Block | undefined = parentStatus
      ? {
          apiVersion: 'teamtask.dev/v1alpha1',
          kind: 'Block',
          metadata: { name: 'ns.primes', namespace: 'up', generation: 2 },
          spec: { worklist: 'top', ...(report ? { report } : {}) },
          status: parentStatus,
        }
      : undefined;
    const observed = () => ({
      ...w.observed(),
      upstream: {
        block: parentBlock,
        parentLeaseMs: 60_000,
        ...(parentPool !== undefined ? { parentPool } : {}),
      },
    });
    return { w, observed };
  }

  it("starts the parent's next range once about a block per worker is left of the current one, and hands its items out too", () => {
    // Two workers, blocks of 10: the first pass hands out 20 of the parent range's 30 items.
    const next = { index: 500, size: 30, token: 6 };
    const { w, observed } = secondary({ phase: 'Ready', ...parentRange, next });
    const first = reconcile(observed(), T0);
    expect(first.status.upstream).toEqual({ working: parentRange });
    w.worklist = { ...w.worklist, status: first.status };
    // w0 finished its range: 10 items are left of the parent range, a block per worker at most.
    w.report('w0', { done: '200-209', complete: true }, 1);
    const plan = reconcile(observed(), T0);
    expect(plan.status.upstream).toEqual({ working: parentRange, next });
    expect(plan.upstream?.report).toMatchObject({ token: 5, startedNext: 6 });
    // w0 gets the rest of the parent range, and behind it a range of the next one.
    expect(assignments(plan.status).map((a) => [a.block, a.index])).toEqual([
      ['w1', 210],
      ['w0', 220],
    ]);
    expect(nextRanges(plan.status).map((a) => [a.block, a.index])).toEqual([['w0', 500]]);
  });

  it.each([
    { name: 'while the parent still has items to hand out, at once', parentPool: 1, started: true },
    {
      name: 'once the parent has none, not yet: the parent may still give it whole to an idle secondary',
      parentPool: 0,
      started: false,
    },
    {
      name: 'while its view of the parent is older than its Block (its pool unknown), not yet',
      parentPool: undefined,
      started: false,
    },
  ])("starts the parent's next range $name", ({ parentPool, started }) => {
    // Two workers, blocks of 10: the first pass hands out 20 of the parent range's 100 items,
    // and 80 are left, far more than a block per worker.
    const working = { index: 200, size: 100, token: 5 };
    const next = { index: 500, size: 30, token: 6 };
    const { observed } = secondary({ phase: 'Ready', ...working, next }, undefined, parentPool);
    const plan = reconcile(observed(), T0);
    expect(plan.status.upstream).toEqual(started ? { working, next } : { working });
    expect(plan.upstream?.report?.startedNext).toBe(started ? 6 : undefined);
  });

  it("hands its workers the parent range's items only, in its own blocks", () => {
    const { observed } = secondary({ phase: 'Ready', ...parentRange });
    const plan = reconcile(observed(), T0);
    expect(assignments(plan.status).map((a) => [a.block, a.index, a.size])).toEqual([
      ['w0', 200, 10],
      ['w1', 210, 10],
    ]);
    expect(plan.status.upstream).toEqual({ working: parentRange });
    expect(plan.upstream).toMatchObject({ create: false, report: { token: 5, done: '', failed: '' } });
  });

  it('makes its Block in the parent namespace first, asking from the start for a range for all its workers, and hands out nothing until the parent gives it a range', () => {
    const { observed } = secondary();
    const plan = reconcile(observed(), T0);
    // Two workers, blocks of 10: UPSTREAM_BLOCKS_PER_WORKER of them each; token 0 fences nothing.
    expect(plan.upstream).toEqual({
      create: true,
      report: { token: 0, rangeSize: 2 * UPSTREAM_BLOCKS_PER_WORKER * 10 },
    });
    expect(assignments(plan.status)).toEqual([]);
    expect([...plan.blockStatuses.values()].map((s) => s.phase)).toEqual(['Pending', 'Pending']);
  });

  it.each([
    {
      name: 'its workers arrived over a second and the newest is 2 s old: now',
      born: [-3, -2],
      create: true,
    },
    {
      name: 'its newest worker is 1 s old: in 1 s, for a range sized for the workers still coming',
      born: [-3, -1],
      create: false,
      inMs: 1000,
    },
    {
      name: 'workers keep coming, the first 5 s ago: now, with those there are',
      born: [-5, 0],
      create: true,
    },
    { name: 'workers keep coming, the first 4 s ago: in 1 s', born: [-4, 0], create: false, inMs: 1000 },
    { name: 'a newest worker Block that is Lost does not count', born: [-3, 0], lost: 'w1', create: true },
    {
      name: "made 1 s from now by the API server's clock, seen 2 s ago by the controller's (behind it): now",
      born: [1, 1],
      seen: -2,
      create: true,
    },
    {
      name: "made 3 s ago by the API server's clock, seen 1 s ago by the controller's (ahead of it): now",
      born: [-3, -3],
      seen: -1,
      create: true,
    },
  ])(
    'makes its Block in the parent namespace once its workers have arrived: $name',
    ({ born, lost, create, inMs, seen }) => {
      const { w, observed } = secondary();
      born.forEach((s, i) => w.bornAt(`w${i}`, s));
      if (lost)
        w.worklist = {
          ...w.worklist,
          status: { ...w.worklist.status, lost: [{ block: lost, generation: 1, since: T0.toISOString() }] },
        };
      const seenAt =
        seen === undefined ? undefined : new Map(born.map((_, i) => [`w${i}`, T0.getTime() + seen * 1000]));
      const plan = reconcile({ ...observed(), ...(seenAt ? { seenAt } : {}) }, T0);
      expect(plan.upstream?.create).toBe(create);
      if (inMs) expect(plan.requeueAfterMs).toBe(inMs + REQUEUE_MARGIN_MS);
    },
  );

  it('makes no Block in the parent namespace while it has no worker, or is suspended: it would hold parent ranges no one runs', () => {
    const { w, observed } = secondary();
    w.dead = new Set(['w0', 'w1']);
    expect(reconcile(observed(), T0).upstream?.create).toBe(false);
    w.dead = new Set();
    w.worklist = { ...w.worklist, spec: { ...w.worklist.spec, suspend: true } };
    expect(reconcile(observed(), T0).upstream?.create).toBe(false);
  });

  it('makes no Block in the parent namespace once it failed (its status says so): it would hold parent ranges it hands out to no one', () => {
    const { w, observed } = secondary();
    w.worklist = {
      ...w.worklist,
      status: {
        ...w.worklist.status,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'TooManyFailedRanges',
            message: 'failed',
            lastTransitionTime: T0.toISOString(),
          },
        ],
      },
    };
    expect(reconcile(observed(), T0).upstream?.create).toBe(false);
  });

  it('counts a Lost worker as none: a secondary whose workers all went quiet past their lease makes no Block upstream', () => {
    const { w, observed } = secondary();
    const since = T0.toISOString();
    w.worklist = {
      ...w.worklist,
      status: { ...w.worklist.status, lost: [{ block: 'w0', generation: 1, since }] },
    };
    expect(reconcile(observed(), T0).upstream?.create).toBe(true);
    w.worklist = {
      ...w.worklist,
      status: {
        ...w.worklist.status,
        lost: [
          { block: 'w0', generation: 1, since },
          { block: 'w1', generation: 1, since },
        ],
      },
    };
    expect(reconcile(observed(), T0).upstream?.create).toBe(false);
  });

  it('hands out nothing while its parent is missing (observe found none)', () => {
    const { w } = secondary({ phase: 'Ready', ...parentRange });
    const plan = reconcile({ ...w.observed(), upstream: undefined }, T0);
    expect(assignments(plan.status)).toEqual([]);
    expect(plan.upstream).toBeUndefined();
  });

  it("reports a range complete upward once its workers' reports cover it, asking for its workers' worth", () => {
    const { w, observed } = secondary({ phase: 'Ready', ...parentRange });
    const first = reconcile(observed(), T0);
    w.worklist = { ...w.worklist, status: first.status };
    for (const [name, status] of first.blockStatuses) w.blocks.set(name, { ...w.blocks.get(name)!, status });
    w.report('w0', { done: '200-209', complete: true });
    w.report('w1', { done: '210-219', complete: true });
    const second = reconcile(observed(), later(1));
    w.worklist = { ...w.worklist, status: second.status };
    for (const [name, status] of second.blockStatuses) w.blocks.set(name, { ...w.blocks.get(name)!, status });
    w.report('w0', { done: '220-229', complete: true });
    const third = reconcile(observed(), later(2));
    expect(third.upstream?.report).toMatchObject({
      token: 5,
      done: '200-229',
      failed: '',
      complete: true,
      // Two workers, 8 of its blocks of 10 each.
      rangeSize: 160,
    });
    expect(third.status.completedItems).toBe(30);
    // Not complete itself: its parent may have more for it.
    expect(third.status.completionTime).toBeUndefined();
  });

  it('is complete once its parent says Drained and none of its ranges is out', () => {
    const { observed } = secondary({ phase: 'Drained' });
    const plan = reconcile(observed(), T0);
    expect(plan.status.completionTime).toBeDefined();
    expect([...plan.blockStatuses.values()].map((s) => s.phase)).toEqual(['Drained', 'Drained']);
  });
});
