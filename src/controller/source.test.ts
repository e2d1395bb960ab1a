import { describe, expect, it } from 'vitest';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { parentState, sourceState, usableUpstreamBlock } from './source.js';

describe('sourceState', () => {
  it.each<{
    name: string;
    source: { name: string; key?: string };
    cm: { data: Record<string, string> } | undefined;
    want: { count: number | undefined; problem: string | undefined };
  }>([
    {
      name: 'a ConfigMap with the key counts its non-empty lines',
      source: { name: 'hosts' },
      cm: { data: { items: 'a\n\nb\nc\n' } },
      want: { count: 3, problem: undefined },
    },
    {
      name: 'a ConfigMap source reads the key it names',
      source: { name: 'hosts', key: 'list' },
      cm: { data: { items: 'a', list: 'x\ny' } },
      want: { count: 2, problem: undefined },
    },
    {
      name: 'a missing ConfigMap is a ConfigMapMissing problem, no count',
      source: { name: 'hosts' },
      cm: undefined,
      want: { count: undefined, problem: 'ConfigMapMissing' },
    },
    {
      name: 'a ConfigMap without the key is a ConfigMapKeyMissing problem, no count',
      source: { name: 'hosts', key: 'list' },
      cm: { data: { items: 'a' } },
      want: { count: undefined, problem: 'ConfigMapKeyMissing' },
    },
    {
      name: 'an empty key is zero items, not a problem',
      source: { name: 'hosts' },
      cm: { data: { items: '' } },
      want: { count: 0, problem: undefined },
    },
  ])('$name', ({ source, cm, want }) => {
    const read = sourceState(source, cm, undefined);
    expect({ count: read.count, problem: read.source.problem?.reason }).toEqual(want);
  });

  it('says what to do in the problem message', () => {
    expect(sourceState({ name: 'hosts' }, undefined, undefined).source.problem?.message).toBe(
      'ConfigMap hosts is not found: workers cannot read the items; create it again with the same lines under key items',
    );
  });

  it.each([
    { name: 'the limits ConfigMap caps the blocks', limits: { maxBlocksPerWorklist: '5' }, want: 5 },
    { name: 'no limits ConfigMap is no cap', limits: undefined, want: undefined },
  ])('$name', ({ limits, want }) => {
    expect(sourceState({ name: 'h' }, { data: { items: 'a' } }, limits).source.maxBlocks).toBe(want);
  });
});

describe('parentState', () => {
  const wl = (ns: string, name: string, parent?: string): Worklist => ({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Worklist',
    metadata: { namespace: ns, name },
    spec: {
      blockSize: 10,
      source: parent
        ? { worklist: { name: parent.split('/')[1]!, namespace: parent.split('/')[0] } }
        : { range: { start: 1, end: 100 } },
    },
  });
  const cache =
    (...ws: Worklist[]) =>
    (ns: string, name: string) =>
      ws.find((w) => w.metadata.namespace === ns && w.metadata.name === name);

  it.each([
    {
      name: 'a parent with items of its own is the parent',
      self: wl('b', 's', 'a/p'),
      there: [wl('a', 'p')],
      problem: undefined,
    },
    {
      name: 'a parent that is itself a secondary is the parent',
      self: wl('c', 's', 'b/m'),
      there: [wl('b', 'm', 'a/p'), wl('a', 'p')],
      problem: undefined,
    },
    {
      name: 'a parent not in the cache is ParentNotFound',
      self: wl('b', 's', 'a/p'),
      there: [],
      problem: 'ParentNotFound',
    },
    {
      name: 'a parent whose chain leads back here is a SourceCycle',
      self: wl('c', 's', 'b/m'),
      there: [wl('b', 'm', 'a/p'), wl('a', 'p', 'c/s')],
      problem: 'SourceCycle',
    },
    { name: 'its own parent is a SourceCycle', self: wl('c', 's', 'c/s'), there: [], problem: 'SourceCycle' },
  ])('$name', ({ self, there, problem }) => {
    const found = parentState(self, cache(self, ...there));
    expect(found.problem?.reason).toBe(problem);
    if (problem !== 'ParentNotFound')
      expect(found.parent?.metadata.name).toBe(self.spec.source.worklist!.name);
  });
});

describe('usableUpstreamBlock', () => {
  const parent: Worklist = {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Worklist',
    metadata: { namespace: 'up', name: 'top', uid: 'now' },
    spec: { blockSize: 10, source: { range: { start: 1, end: 10 } } },
  };
  const block = (uid: string, deleting = false): Block => ({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: {
      name: 'ns.s',
      namespace: 'up',
      ownerReferences: [{ apiVersion: 'teamtask.dev/v1alpha1', kind: 'Worklist', name: 'top', uid }],
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { worklist: 'top' },
  });

  it.each([
    { name: "the parent's own Block is taken at its word", b: block('now'), usable: true },
    {
      name: 'a Block being deleted is none: the parent takes its ranges back',
      b: block('now', true),
      usable: false,
    },
    { name: 'a Block of an earlier parent of the same name is none', b: block('before'), usable: false },
    { name: 'no Block is none', b: undefined, usable: false },
  ])('$name', ({ b, usable }) => {
    expect(usableUpstreamBlock(b, parent) !== undefined).toBe(usable);
  });
});
