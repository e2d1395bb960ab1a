import { describe, expect, it } from 'vitest';
import type { Block } from '../api/v1alpha1/index.js';
import { deadWorkers } from './pods.js';

const T = Date.parse('2026-11-24T12:00:00Z');
const block = (name: string, pod?: string, ageS = 60): Block => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Block',
  metadata: {
    name,
    labels: pod ? { 'teamtask.dev/pod': pod } : {},
    creationTimestamp: new Date(T - ageS * 1000).toISOString() as never,
  },
  spec: { worklist: 'w' },
});

describe('deadWorkers', () => {
  it.each([
    { name: 'a running pod is alive', b: block('a', 'p'), phases: [['p', 'Running']], dead: false },
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
  ])('$name', ({ b, phases, dead }) => {
    expect(deadWorkers([b], new Map(phases as [string, string][]), T).has('a')).toBe(dead);
  });
});
