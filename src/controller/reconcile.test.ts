import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../ledger/range-set.js';
import type { Block, BlockSpecReport, Worklist } from '../api/v1alpha1/index.js';
import { reconcile, type Observed, type Plan } from './reconcile.js';

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
    metadata: { name, namespace: 'ns', creationTimestamp: later(age) as never },
    spec: { worklist: 'primes', worker: `pod-${name}` },
  };
}

/** A small world: the controller's plan is written back the way the I/O layer would. */
class World {
  worklist: Worklist;
  blocks = new Map<string, Block>();
  dead = new Set<string>();

  constructor(spec: Partial<Worklist['spec']> = {}, ...names: string[]) {
    this.worklist = worklist(spec);
    names.forEach((n, i) => this.blocks.set(n, block(n, i)));
  }

  observed(): Observed {
    return {
      worklist: this.worklist,
      blocks: [...this.blocks.values()],
      deadWorkers: this.dead,
      totalItems: 25,
    };
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

  report(name: string, report: Omit<BlockSpecReport, 'token'>): void {
    const b = this.blocks.get(name)!;
    this.blocks.set(name, { ...b, spec: { ...b.spec, report: { token: b.status!.token!, ...report } } });
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
    expect(plan.status.assignments).toEqual([
      expect.objectContaining({ block: 'a', index: 0, size: 10, token: 1, attempt: 1 }),
    ]);
    expect(w.status('a')).toEqual(['Ready', 0, 10, 1]);
    expect(w.blocks.get('a')!.status!.ready).toBe('1/1');
    expect(plan.requeueAfterMs).toBe(60_000);
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
    expect(again.status.assignments).toEqual([expect.objectContaining({ block: 'a', index: 10, token: 2 })]);
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
    expect(plan.status.assignments).toEqual([expect.objectContaining({ block: 'b', attempt: 2 })]);
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
    expect(plan.status.assignments).toEqual([]);
    expect(plan.status.retry).toEqual([{ attempts: 1, ranges: '0-9' }]);
  });

  it('takes back a range whose lease expired and looks again at the next expiry', () => {
    const w = new World({}, 'a');
    w.step();
    w.blocks.set('b', block('b', 1));
    const plan = w.step(later(61));
    expect(plan.reclaimed).toEqual(['a']);
    // a gets fresh items again; b gets the expired range first (retry before fresh).
    expect(w.status('a')[0]).toBe('Ready');
    expect(plan.status.assignments!.map((x) => x.index).sort()).toEqual([0, 10]);
  });

  it('assigns nothing while suspended, and says so', () => {
    const w = new World({ suspend: true }, 'a');
    const plan = w.step();
    expect(plan.status.assignments).toEqual([]);
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
    w.report('a', { done: '0-2' });
    w.step(later(10)); // folded: the lease now runs to 70 s
    for (const s of [20, 40, 60]) expect(w.step(later(s)).reclaimed).toEqual([]);
    expect(w.step(later(71)).reclaimed).toEqual(['a']);
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
    w.report('a', { done: '0-2' });
    const first = w.step(later(5));
    const second = w.step(later(30));
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
    expect(plan.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Complete',
        status: 'True',
        reason: 'AllItemsProcessed',
        observedGeneration: 1,
      }),
    ]);
    expect(w.status('a')[0]).toBe('Drained');
  });

  it('gives a released Block nothing new', () => {
    const w = new World({}, 'a');
    w.step();
    w.report('a', { done: '0-4', release: true });
    const plan = w.step();
    expect(w.status('a')[0]).toBe('Released');
    expect(plan.status.assignments).toEqual([]);
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

  it('is level-triggered: a pass over its own result changes nothing', () => {
    const w = new World({}, 'a', 'b');
    w.step();
    const before = structuredClone(w.worklist.status);
    const again = w.step();
    expect(again.blockStatuses.size).toBe(0);
    expect(again.status).toEqual(before);
  });
});

describe('reconcile under random worker behaviour', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('work' as const),
      block: fc.constantFrom('a', 'b', 'c'),
      all: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('die' as const), block: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('crash' as const) }),
    fc.record({ kind: fc.constant('tick' as const), s: fc.nat(90) }),
  );

  it('never hands out completed items, and honest workers then finish the Worklist', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const w = new World({ maxAttempts: 100 }, 'a', 'b', 'c');
        let now = 0;
        let generation = 0;
        const live = (name: string) => [...w.blocks.keys()].find((k) => k.startsWith(name))!;
        const honest = (name: string, all = true) => {
          const s = w.blocks.get(name)?.status;
          if (s?.phase !== 'Ready') return;
          const end = Number(s.index) + (all ? Number(s.size) : 1) - 1;
          w.report(name, { done: `${s.index}-${end}`, complete: all });
        };
        const check = (plan: Plan) => {
          const completed = RangeSet.parse(plan.status.completed ?? '');
          for (const a of plan.status.assignments ?? []) {
            const held = RangeSet.span(a.index, a.index + a.size - 1).subtract(RangeSet.parse(a.done ?? ''));
            expect(held.intersect(completed).isEmpty).toBe(true);
          }
        };
        for (const o of ops) {
          if (o.kind === 'work') honest(live(o.block), o.all);
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
