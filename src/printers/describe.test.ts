import { describe, expect, it } from 'vitest';
import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { describeWorklist } from './describe.js';

const now = new Date('2026-11-24T12:00:00Z');
const at = (s: number) => new Date(now.getTime() - s * 1000);

const worklist: Worklist = {
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Worklist',
  metadata: { name: 'primes', namespace: 'work', uid: 'u1', creationTimestamp: at(600) },
  spec: { source: { range: { start: 1, end: 2000 } }, blockSize: 100, maxAttempts: 2 },
  status: {
    totalItems: 2000,
    completedItems: 1200,
    failedItems: 2,
    completed: '0-1199',
    failed: '1300,1301',
    // primes-workers-0-abcde: 1200-1299 (1200-1241 reported), lease 45 s left, 1500-1599 next;
    // laptop: 1302-1399 on its second attempt, lease expired 3 s ago.
    assigned: ['-workers-0-abcde 1200+100#14@1 48s 0-41 >1500+100#16@2', 'laptop 1302+98#15@1^2 0s'],
    leasesFrom: at(3).toISOString(),
    retry: [{ attempts: 1, ranges: '1400-1499' }],
    conditions: [
      {
        type: 'Complete',
        status: 'False',
        reason: 'InProgress',
        message: '798 items to go',
        lastTransitionTime: at(600).toISOString(),
      },
    ],
  },
};
const blocks: Block[] = [
  {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name: 'primes-workers-0-abcde' },
    spec: { worklist: 'primes', worker: 'primes-workers-0-abcde' },
    status: { phase: 'Ready' },
  },
  {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name: 'laptop' },
    spec: {
      worklist: 'primes',
      worker: 'ann@laptop',
      report: { token: 15, done: '1302-1310', failed: '1311' },
    },
    status: { phase: 'Ready' },
  },
];
const job: V1Job = {
  metadata: { name: 'primes-workers' },
  spec: { completions: 2, template: {} },
  status: { active: 1, succeeded: 0, failed: 1 },
};
const pods: V1Pod[] = [
  {
    metadata: {
      name: 'primes-workers-0-abcde',
      creationTimestamp: at(590),
      annotations: { 'batch.kubernetes.io/job-completion-index': '0' },
    },
    status: { phase: 'Running' },
  },
];
const events: CoreV1Event[] = [
  {
    metadata: {},
    involvedObject: {},
    type: 'Warning',
    reason: 'ItemsFailed',
    message: '2 item(s) failed 2 attempt(s): offsets 1300,1301',
    lastTimestamp: at(30),
  },
  {
    metadata: {},
    involvedObject: {},
    type: 'Warning',
    reason: 'WorkerLost',
    message: "block primes-workers-1-fghij: its worker's pod is gone; offsets 1400-1499 go back to the pool",
    lastTimestamp: at(120),
  },
];

describe('describe worklist', () => {
  it('shows the spec, the ledger, the ranges out, the Blocks, the Job, conditions and events', async () => {
    await expect(describeWorklist({ worklist, blocks, job, pods, events, now })).toMatchFileSnapshot(
      './__snapshots__/describe-primes.txt',
    );
  });

  it('says when no controller has looked at it yet and no Job runs its workers', () => {
    const text = describeWorklist({
      worklist: { ...worklist, status: undefined },
      blocks: [],
      pods: [],
      events: [],
      now,
    });
    expect(text).toContain('Progress:       not started (no controller has seen it yet)');
    expect(text).toContain('Job:            <none> (workers run elsewhere)');
    expect(text).toContain('Events:         <none>');
  });

  it('names the parent of a secondary, and the parent range it works on', () => {
    const text = describeWorklist({
      worklist: {
        ...worklist,
        spec: { ...worklist.spec, source: { worklist: { name: 'top', namespace: 'up' } } },
        status: { ...worklist.status, upstream: { working: { index: 4000, size: 6400, token: 12 } } },
      },
      blocks: [],
      pods: [],
      events: [],
      now,
    });
    expect(text).toMatch(
      /Worklist up\/top \(its items, at its offsets; working on its range 4000\+6400, token 12\)/,
    );
  });

  it("names the parent's next range a secondary started before the one it works on is done", () => {
    const text = describeWorklist({
      worklist: {
        ...worklist,
        spec: { ...worklist.spec, source: { worklist: { name: 'top', namespace: 'up' } } },
        status: {
          ...worklist.status,
          upstream: {
            working: { index: 4000, size: 6400, token: 12 },
            next: { index: 20000, size: 6400, token: 15 },
          },
        },
      },
      blocks: [],
      pods: [],
      events: [],
      now,
    });
    expect(text).toContain(
      'working on its range 4000+6400, token 12; started its next range 20000+6400, token 15)',
    );
  });
});
