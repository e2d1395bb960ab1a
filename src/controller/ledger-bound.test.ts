import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_FINALIZER, type Block, type Worklist } from '../api/v1alpha1/index.js';
import { MAX_REPORT_RANGES } from '../ledger/limits.js';
import { RangeSet, type Range } from '../ledger/range-set.js';
import { reconcile } from './reconcile.js';

// The Worklist's size, whatever fails: the whole protocol (reconcile, and workers that cut a
// range short before their report outgrows MAX_REPORT_RANGES, as src/worker/executors.ts does) run
// on 10,000,000 items against patterns of failures, measuring the status after every step.

const TOTAL = 10_000_000;
const WORKERS = 8;
const BOUND = 100_000;
const T0 = Date.parse('2026-11-29T00:00:00Z');

/** A worker's outcomes on a range, cut where its report would outgrow what a report may hold. */
function work(index: number, size: number, fails: (offset: number) => boolean) {
  const done: Range[] = [];
  const failed: Range[] = [];
  let offset = index;
  for (; offset < index + size; offset++) {
    const to = fails(offset) ? failed : done;
    const last = to.at(-1);
    if (last && last.end === offset - 1) {
      to[to.length - 1] = { start: last.start, end: offset };
      continue;
    }
    if (done.length + failed.length + 1 > MAX_REPORT_RANGES) break;
    to.push({ start: offset, end: offset });
  }
  return {
    done: RangeSet.of(...done).toString(),
    failed: RangeSet.of(...failed).toString(),
    cut: offset < index + size,
  };
}

/** Runs the Worklist to its end (or until it stops Failed); returns the largest status seen, in bytes. */
function largestStatus(fails: (offset: number) => boolean, maxAttempts: number, blockSize: number) {
  let worklist: Worklist = {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Worklist',
    metadata: { name: 'big', namespace: 'ns', generation: 1 },
    spec: { source: { range: { start: 0, end: TOTAL - 1 } }, blockSize, maxAttempts },
  };
  const blocks = new Map<string, Block>(
    Array.from({ length: WORKERS }, (_, i) => [
      `w${i}`,
      {
        apiVersion: 'teamtask.dev/v1alpha1',
        kind: 'Block',
        metadata: { name: `w${i}`, generation: 1, finalizers: [BLOCK_FINALIZER] },
        spec: { worklist: 'big' },
      },
    ]),
  );
  let largest = 0;
  for (let step = 0; ; step++) {
    const plan = reconcile(
      { worklist, blocks: [...blocks.values()], deadWorkers: new Set(), totalItems: TOTAL },
      new Date(T0 + step),
    );
    worklist = { ...worklist, status: plan.status };
    largest = Math.max(largest, JSON.stringify(worklist).length);
    for (const [name, status] of plan.blockStatuses) blocks.set(name, { ...blocks.get(name)!, status });
    const stopped = plan.status.conditions?.some((c) => c.type === 'Failed' && c.status === 'True');
    if (plan.status.completionTime || (stopped && plan.status.assigned!.length === 0)) break;
    for (const [name, b] of blocks) {
      const s = b.status;
      if (s?.phase !== 'Ready' || b.spec.report?.token === s.token) continue;
      const r = work(Number(s.index), Number(s.size), fails);
      blocks.set(name, {
        ...b,
        metadata: { ...b.metadata, generation: b.metadata.generation! + 1 },
        spec: {
          ...b.spec,
          report: {
            token: s.token!,
            done: r.done,
            failed: r.failed,
            ...(r.cut ? { release: true, next: true } : { complete: true }),
          },
        },
      });
    }
  }
  return largest;
}

describe('the Worklist on 10,000,000 items', () => {
  it.each([
    ['every other item fails', (o: number) => o % 2 === 1, 1],
    ['every other item fails, 3 attempts', (o: number) => o % 2 === 1, 3],
    ['one item in 7 fails', (o: number) => o % 7 === 3, 2],
    ['every other item from 9,000,000 on fails (long offsets)', (o: number) => o >= 9e6 && o % 2 === 1, 1],
    ['one item in 20,000 fails (the Worklist finishes)', (o: number) => o % 20_000 === 19_999, 3],
    ['every item fails (one range)', () => true, 1],
  ])('stays under 100 KB when %s', (_, fails, maxAttempts) => {
    expect(largestStatus(fails, maxAttempts, 1000)).toBeLessThan(BOUND);
  });

  it('stays under 100 KB for any periodic or random pattern of failures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50_000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1000, max: 20_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (period, maxAttempts, blockSize, density) => {
          // A deterministic hash stands in for randomness: the same offset fails on every attempt.
          const hash = (o: number) => (Math.imul(o ^ 0x9e3779b9, 0x85ebca6b) >>> 0) / 2 ** 32;
          const fails = (o: number) => o % period === 0 || hash(o) < density / period;
          expect(largestStatus(fails, maxAttempts, blockSize)).toBeLessThan(BOUND);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('the Worklist with 256 workers on 10,000,000 items', () => {
  /**
   * The largest Worklist (the whole object, as JSON) while 256 workers each hold a range and the
   * next: workers that report `half` of each range before they finish it leave a gap in
   * status.completed per range out, and a reported part in each range's line.
   */
  function largestWorklist(half: boolean) {
    const name = 'render-frames';
    let worklist: Worklist = {
      apiVersion: 'teamtask.dev/v1alpha1',
      kind: 'Worklist',
      metadata: { name, namespace: 'ns', generation: 1, uid: '6f1f0c4e-0d5f-4b8e-9a61-2f0c2b1d9e77' },
      spec: { source: { range: { start: 0, end: TOTAL - 1 } }, blockSize: 1000 },
    };
    // Named as workers name them (generateName `<worklist>-`), long-lived: generations in the thousands.
    const blocks = new Map<string, Block>(
      Array.from({ length: 256 }, (_, i) => {
        const block = `${name}-${(36 ** 4 + i * 7919).toString(36).slice(-5)}`;
        return [
          block,
          {
            apiVersion: 'teamtask.dev/v1alpha1',
            kind: 'Block',
            metadata: { name: block, generation: 4000 + i, finalizers: [BLOCK_FINALIZER] },
            spec: { worklist: name },
          },
        ];
      }),
    );
    const write = (b: Block, report: NonNullable<Block['spec']['report']>) =>
      blocks.set(b.metadata.name!, {
        ...b,
        metadata: { ...b.metadata, generation: b.metadata.generation! + 1 },
        spec: { ...b.spec, report: { ...report, rangeSize: 64_000 } },
      });
    let largest = 0;
    let withNext = 0;
    for (let step = 0; step < 12; step++) {
      // 40 s apart: a partial report is folded at half the lease.
      const now = new Date(T0 + step * 40_000);
      const plan = reconcile(
        { worklist, blocks: [...blocks.values()], deadWorkers: new Set(), totalItems: TOTAL },
        now,
      );
      worklist = { ...worklist, status: plan.status };
      for (const [block, status] of plan.blockStatuses) blocks.set(block, { ...blocks.get(block)!, status });
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(worklist)));
      withNext = Math.max(withNext, plan.status.assigned!.filter((line) => line.includes('>')).length);
      for (const b of blocks.values()) {
        const s = b.status!;
        const [index, size] = [Number(s.index), Number(s.size)];
        const all = `${index}-${index + size - 1}`;
        const renewTime = now.toISOString();
        if (half && b.spec.report?.token !== s.token)
          write(b, { token: s.token!, done: `${index}-${index + Math.floor(size / 2)}`, renewTime });
        else if (s.next)
          write(b, { token: s.next.token, finished: { token: s.token!, done: all }, renewTime });
        else write(b, { token: s.token!, done: all, complete: true, renewTime });
      }
    }
    expect(withNext).toBe(256);
    return largest;
  }

  it('stays under 20 KB while its workers go from range to range', () => {
    expect(largestWorklist(false)).toBeLessThan(20 * 1024);
  });

  it('stays under 22 KB when every range out is half reported (a gap in completed per range)', () => {
    expect(largestWorklist(true)).toBeLessThan(22 * 1024);
  });
});
