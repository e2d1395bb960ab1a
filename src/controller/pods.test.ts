import { describe, expect, it } from 'vitest';
import type { Block } from '../api/v1alpha1/index.js';
import { POD_LABEL, SECONDARY_ANNOTATION } from '../api/names.js';
import { POD_GRACE_MS, workerLiveness } from './pods.js';

const T = Date.parse('2026-11-24T12:00:00Z');
const block = (name: string, pod?: string, ageS = 60, secondary?: string): Block => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Block',
  metadata: {
    name,
    labels: pod ? { [POD_LABEL]: pod } : {},
    annotations: secondary ? { [SECONDARY_ANNOTATION]: secondary } : {},
    creationTimestamp: new Date(T - ageS * 1000).toISOString() as never,
  },
  spec: { worklist: 'w' },
});

describe('workerLiveness', () => {
  it.each([
    { name: 'a running pod is alive', b: block('a', 'p'), phases: [['p', 'Running']], dead: false },
    { name: 'a pending pod is alive', b: block('a', 'p'), phases: [['p', 'Pending']], dead: false },
    { name: 'a failed pod is dead', b: block('a', 'p'), phases: [['p', 'Failed']], dead: true },
    {
      name: 'a pod that succeeded while its Block lives on is dead',
      b: block('a', 'p'),
      phases: [['p', 'Succeeded']],
      dead: true,
    },
    { name: 'a vanished pod is dead', b: block('a', 'p'), phases: [], dead: true },
    {
      name: 'a pod not yet seen for a new Block gets a grace period',
      b: block('a', 'p', 3),
      phases: [],
      dead: false,
    },
    {
      name: 'a worker outside the cluster is judged by its lease only',
      b: block('a'),
      phases: [],
      dead: false,
    },
    {
      name: "a secondary Worklist's Block is alive while the secondary is there",
      b: block('a', undefined, 60, 'ns2/s'),
      phases: [],
      dead: false,
    },
    {
      name: "a secondary Worklist's Block is dead once the secondary is gone",
      b: block('a', undefined, 60, 'ns2/gone'),
      phases: [],
      dead: true,
    },
    {
      name: 'a secondary not yet seen for a new Block gets a grace period',
      b: block('a', undefined, 3, 'ns2/gone'),
      phases: [],
      dead: false,
    },
  ])('$name', ({ b, phases, dead }) => {
    const exists = (key: string) => key === 'ns2/s';
    expect(workerLiveness([b], new Map(phases as [string, string][]), T, exists).dead.has('a')).toBe(dead);
  });

  it.each([
    {
      name: 'nothing to recheck when every pod is known',
      blocks: [block('a', 'p', 3)],
      phases: [['p', 'Running']],
      want: undefined,
    },
    {
      name: 'nothing to recheck for a worker outside the cluster',
      blocks: [block('a', undefined, 3)],
      phases: [],
      want: undefined,
    },
    {
      name: 'nothing to recheck once the grace is over (the worker is dead)',
      blocks: [block('a', 'p', 60)],
      phases: [],
      want: undefined,
    },
    {
      name: 'a Block waiting for its pod is looked at just after its grace ends',
      blocks: [block('a', 'p', 3)],
      phases: [],
      want: POD_GRACE_MS - 3000 + 1,
    },
    {
      name: 'of several waiting Blocks, the one whose grace ends first',
      blocks: [block('a', 'p', 3), block('b', 'q', 8)],
      phases: [],
      want: POD_GRACE_MS - 8000 + 1,
    },
  ])('$name', ({ blocks, phases, want }) => {
    expect(workerLiveness(blocks, new Map(phases as [string, string][]), T).recheckAfterMs).toBe(want);
  });
});
