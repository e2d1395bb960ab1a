import { describe, expect, it } from 'vitest';
import type { Block, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import { ReportMarks, WriteExpectations } from './expectations.js';
import type { ReportSeen } from './reconcile.js';

const block = (name: string, resourceVersion = '1', generation = 1): Block => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Block',
  metadata: { name, uid: `uid-${name}`, resourceVersion, generation },
  spec: { worklist: 'w' },
});

describe('WriteExpectations', () => {
  const worklist = (resourceVersion: string, completedItems?: number): Worklist => ({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Worklist',
    metadata: { name: 'w', namespace: 'ns', resourceVersion },
    spec: { source: { range: { start: 0, end: 9 } }, blockSize: 1 },
    ...(completedItems === undefined ? {} : { status: { completedItems } }),
  });

  it.each([
    { name: 'a Worklist never written is planned from the cache', wrote: undefined, cached: '5', want: '5' },
    {
      name: 'while the cache still shows it as before our write, from what the write returned',
      wrote: '5',
      cached: '5',
      want: '6',
    },
    { name: 'once the cache moved past our write, from the cache', wrote: '5', cached: '7', want: '7' },
  ])('$name', ({ wrote, cached, want }) => {
    const e = new WriteExpectations();
    if (wrote) e.wroteLedger('ns/w', wrote, worklist('6', 3));
    expect(e.current('ns/w', worklist(cached)).metadata.resourceVersion).toBe(want);
  });

  it('plans from our last write while the cache shows any version our writes replaced since it caught up', () => {
    const e = new WriteExpectations();
    e.wroteLedger('ns/w', '5', worklist('6')); // planned from the cache at 5
    e.wroteLedger('ns/w', '6', worklist('7')); // planned from that write's answer, the cache still at 5
    expect(e.current('ns/w', worklist('5')).metadata.resourceVersion).toBe('7');
    expect(e.current('ns/w', worklist('6')).metadata.resourceVersion).toBe('7');
    expect(e.current('ns/w', worklist('7')).metadata.resourceVersion).toBe('7');
    // Caught up: the cache again, and the versions before are forgotten.
    expect(e.current('ns/w', worklist('5')).metadata.resourceVersion).toBe('5');
  });

  it('starts afresh when a write was planned from a cache that had moved on', () => {
    const e = new WriteExpectations();
    e.wroteLedger('ns/w', '5', worklist('6'));
    e.wroteLedger('ns/w', '8', worklist('9')); // someone else wrote 7 and 8; we planned from 8
    expect(e.current('ns/w', worklist('8')).metadata.resourceVersion).toBe('9');
    expect(e.current('ns/w', worklist('5')).metadata.resourceVersion).toBe('5');
  });

  it('forgets a deleted Worklist', () => {
    const e = new WriteExpectations();
    e.wroteLedger('ns/w', '5', worklist('6'));
    e.forgetWorklist('ns/w');
    expect(e.current('ns/w', worklist('5')).metadata.resourceVersion).toBe('5');
  });

  it.each<{ name: string; rv: string; status: BlockStatus; written: boolean }>([
    {
      name: 'the same status on the Block as it was is not written again',
      rv: '1',
      status: { phase: 'Ready' },
      written: true,
    },
    { name: 'a different status is written', rv: '1', status: { phase: 'Lost' }, written: false },
    {
      name: 'the Block changed since (a report): written again',
      rv: '2',
      status: { phase: 'Ready' },
      written: false,
    },
  ])('$name', ({ rv, status, written }) => {
    const e = new WriteExpectations();
    e.wroteBlockStatus(block('a', '1'), { phase: 'Ready' });
    expect(e.alreadyWritten(block('a', rv), status)).toBe(written);
  });

  it('forgets a deleted Block', () => {
    const e = new WriteExpectations();
    e.wroteBlockStatus(block('a'), { phase: 'Ready' });
    e.forgetBlock('uid-a');
    expect(e.alreadyWritten(block('a'), { phase: 'Ready' })).toBe(false);
  });
});

describe('ReportMarks', () => {
  const stale = (generation: number): ReportSeen => ({ block: 'a', generation, outcome: 'stale' });
  const malformed = (generation: number): ReportSeen => ({
    block: 'a',
    generation,
    outcome: 'malformed',
    problem: '9-3',
  });

  it('does not count a stale report of a Block seen for the first time (folded before a restart, maybe)', () => {
    const m = new ReportMarks();
    expect(m.judge([stale(1)], [block('a')]).stale).toEqual([]);
  });

  it('counts a stale report once, when its Block has a new generation', () => {
    const m = new ReportMarks();
    m.judge([], [block('a', '1', 1)]);
    expect(m.judge([stale(2)], [block('a', '2', 2)]).stale).toEqual([stale(2)]);
    expect(m.judge([stale(2)], [block('a', '2', 2)]).stale).toEqual([]);
  });

  it('does not count the report of a Block being deleted, whose generation its deletion raised', () => {
    const m = new ReportMarks();
    m.judge([malformed(1)], [block('a', '1', 1)]);
    const deleting = {
      ...block('a', '2', 2),
      metadata: { ...block('a', '2', 2).metadata, deletionTimestamp: new Date() },
    };
    expect(m.judge([stale(2), malformed(2)], [deleting])).toEqual({ stale: [], refused: [] });
  });

  it('tells of a malformed report on a Block being deleted once, if not told of before', () => {
    const m = new ReportMarks();
    m.judge([], [block('a', '1', 1)]);
    const deleting = {
      ...block('a', '2', 2),
      metadata: { ...block('a', '2', 2).metadata, deletionTimestamp: new Date() },
    };
    expect(m.judge([malformed(2)], [deleting]).refused).toEqual([malformed(2)]);
    const raised = { ...deleting, metadata: { ...deleting.metadata, generation: 3 } };
    expect(m.judge([malformed(3)], [raised]).refused).toEqual([]);
  });

  it('tells of a malformed report written just before the delete, though an older one was told of', () => {
    const m = new ReportMarks();
    m.judge([malformed(1)], [block('a', '1', 1)]);
    m.judge([], [block('a', '3', 3)]);
    const deleting = {
      ...block('a', '6', 6),
      metadata: { ...block('a', '6', 6).metadata, deletionTimestamp: new Date() },
    };
    expect(m.judge([malformed(6)], [deleting]).refused).toEqual([malformed(6)]);
  });

  it('tells of a malformed report once per Block generation', () => {
    const m = new ReportMarks();
    expect(m.judge([malformed(1)], [block('a')]).refused).toEqual([malformed(1)]);
    expect(m.judge([malformed(1)], [block('a')]).refused).toEqual([]);
    expect(m.judge([malformed(2)], [block('a', '2', 2)]).refused).toEqual([malformed(2)]);
  });

  it('tells again of a Block forgotten (deleted and made again under the same name)', () => {
    const m = new ReportMarks();
    m.judge([malformed(1)], [block('a')]);
    m.forgetBlock('uid-a');
    expect(m.judge([malformed(1)], [block('a')]).refused).toEqual([malformed(1)]);
  });
});
