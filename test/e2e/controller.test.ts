import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerOf } from '../../src/ledger/ledger.js';
import { sample } from '../../src/controller/metrics.js';
import { eventually, freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, onKwokNode, range, worklistYaml } from '../support/objects.js';
import { readWorklist, readBlock } from '../support/read.js';
import { patchBlock } from '../support/write.js';
import {
  type Background,
  controllerMetrics,
  startController,
  withoutInClusterController,
} from '../support/processes.js';

// The controller as a real process against the real API server: it assigns ranges to Blocks,
// folds workers' reports into the Worklist's ledger, takes back what a vanished Block held,
// finishes the Worklist, and picks up after a restart exactly where the ledger says.
// Workers are played by the test, writing spec.report as the worker runtime will. Each test
// makes its own namespace and Worklist; one controller serves them all (a test that needs
// another stops it, and the next test gets a fresh one).

const custom = kubeConfig().makeApiClient(CustomObjectsApi);
const namespaces: Array<Awaited<ReturnType<typeof freshNamespace>>> = [];
let controller: Background | undefined;

/**
 * Every sync the controller failed was a conflict it looked at again (`sync_errors` counts
 * both), read from its metrics.
 */
async function expectNoFailedSyncs(c: Background): Promise<void> {
  const metrics = await eventually('the controller to serve its metrics', () => controllerMetrics(c));
  const failed = sample(metrics, 'teamtask_controller_sync_errors_total');
  const conflicts = sample(metrics, 'teamtask_controller_conflicts_total');
  expect(failed, 'failed syncs other than conflicts').toBe(conflicts);
}

async function stopController(): Promise<void> {
  const c = controller;
  controller = undefined;
  if (!c) return;
  try {
    await expectNoFailedSyncs(c);
  } finally {
    await c.stop();
  }
}

/**
 * A namespace of the test's own with these objects applied. Namespaces go after the last test:
 * deleting one while the controller runs is not what these tests are about.
 */
async function setUp(...manifests: string[]): Promise<string> {
  const ns = await freshNamespace('e2e-controller');
  namespaces.push(ns);
  if (manifests.length) {
    expect(kubectlStdin(manifests.join('---\n'), 'apply', '-n', ns.name).stderr).toBe('');
  }
  return ns.name;
}

const api = { group: 'teamtask.dev', version: 'v1alpha1' };

/** What a worker does when it has finished its whole range. */
async function completeRange(ns: string, name: string): Promise<string> {
  const b = await readBlock(ns, name);
  const start = Number(b.status!.index);
  const done = `${start}-${start + Number(b.status!.size) - 1}`;
  await patchBlock(ns, name, { spec: { report: { token: b.status!.token, done, complete: true } } });
  return done;
}

const readyBlock = (ns: string, name: string, notToken?: number) =>
  eventually(`block ${name} to hold a range`, async () => {
    const b = await readBlock(ns, name);
    return b.status?.phase === 'Ready' && b.status.token !== notToken ? b : undefined;
  });

const deleteBlock = (ns: string, name: string) =>
  custom.deleteNamespacedCustomObject({ ...api, plural: 'blocks', namespace: ns, name });

/** Waits until a Block holds nothing in the Worklist's ledger; returns the Worklist then. */
const leftLedger = (ns: string, worklist: string, block: string) =>
  eventually(`${block} to leave the ledger`, async () => {
    const w = await readWorklist(ns, worklist);
    return ledgerOf(w).assignments.has(block) ? undefined : w;
  });

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
});
beforeEach(() => {
  controller ??= startController();
});
afterEach(async () => {
  if (controller) await expectNoFailedSyncs(controller);
});
afterAll(async () => {
  await stopController();
  await Promise.all(namespaces.map((ns) => ns.remove()));
});

describe('the controller', () => {
  it('gives each new Block its own range and records it in the ledger', async () => {
    const ns = await setUp(
      worklistYaml('small', { source: range(1, 45), blockSize: 10 }),
      blockYaml('a', 'small'),
      blockYaml('b', 'small'),
    );
    const [a, b] = [await readyBlock(ns, 'a'), await readyBlock(ns, 'b')];
    expect(new Set([a.status!.index, b.status!.index])).toEqual(new Set([0, 10]));
    const w = await readWorklist(ns, 'small');
    expect(w.status).toMatchObject({ totalItems: 45, completedItems: 0, workers: 2 });
    expect([...ledgerOf(w).assignments.keys()].sort()).toEqual(['a', 'b']);
  });

  it('folds a completed range and hands the same Block the next one', async () => {
    const ns = await setUp(
      worklistYaml('folds', { source: range(1, 45), blockSize: 10 }),
      blockYaml('a', 'folds'),
    );
    const first = await readyBlock(ns, 'a');
    expect(first.status).toMatchObject({ index: 0, size: 10 });
    const done = await completeRange(ns, 'a');
    const next = await readyBlock(ns, 'a', first.status!.token);
    expect(next.status).toMatchObject({ index: 10, size: 10 });
    expect((await readWorklist(ns, 'folds')).status).toMatchObject({ completed: done, completedItems: 10 });
  });

  it('takes back the range of a Block that disappears', async () => {
    const ns = await setUp(
      worklistYaml('vanish', { source: range(1, 45), blockSize: 10 }),
      blockYaml('a', 'vanish'),
      blockYaml('b', 'vanish'),
    );
    await readyBlock(ns, 'a');
    const held = (await readyBlock(ns, 'b')).status!;
    await deleteBlock(ns, 'b');
    const w = await leftLedger(ns, 'vanish', 'b');
    expect(w.status!.retry).toEqual([{ attempts: 1, ranges: `${held.index}-${Number(held.index) + 9}` }]);
    expect(w.status!.workers).toBe(1);
  });

  it('continues after a restart where the ledger says, then finishes the Worklist', async () => {
    // Before the restart: a completed its first range and holds a second; b's range went back
    // to the pool with b. (b comes once a holds its range, so which pass hands out what is fixed.)
    const ns = await setUp(
      worklistYaml('restart', { source: range(1, 45), blockSize: 10 }),
      blockYaml('a', 'restart'),
    );
    const a0 = (await readyBlock(ns, 'a')).status!;
    expect(a0).toMatchObject({ index: 0 });
    expect(a0.next).toBeUndefined(); // no next range before a Block has finished one
    expect(kubectlStdin(blockYaml('b', 'restart'), 'apply', '-n', ns).stderr).toBe('');
    const b0 = (await readyBlock(ns, 'b')).status!;
    expect(b0).toMatchObject({ index: 10 });
    expect(await completeRange(ns, 'a')).toBe('0-9');
    const a1 = (await readyBlock(ns, 'a', a0.token)).status!;
    // 30-44 left: less than a range for each working Block, so no next range.
    expect(a1).toMatchObject({ index: 20 });
    expect(a1.next).toBeUndefined();
    await deleteBlock(ns, 'b');
    expect((await leftLedger(ns, 'restart', 'b')).status!.retry).toEqual([{ attempts: 1, ranges: '10-19' }]);

    await stopController();
    controller = startController();
    // The range handed out before the restart is still a's: its report, with that token, is
    // folded, and a gets the retry items first (and, having finished a range, its next one).
    await patchBlock(ns, 'a', { spec: { report: { token: a1.token, done: '20-29', complete: true } } });
    const a2 = (await readyBlock(ns, 'a', a1.token)).status!;
    expect((await readWorklist(ns, 'restart')).status).toMatchObject({ completed: '0-9,20-29' });
    expect(a2).toMatchObject({ index: 10, size: 10, attempt: 2, next: { index: 30 } });

    // One worker finishes everything, range by range.
    const seen: number[] = [];
    let token = a2.token;
    for (;;) {
      await completeRange(ns, 'a');
      const s = await eventually('the next word for a', async () => {
        const s = (await readBlock(ns, 'a')).status!;
        return s.phase === 'Drained' || (s.phase === 'Ready' && s.token !== token) ? s : undefined;
      });
      if (s.phase === 'Drained') break;
      seen.push(Number(s.index));
      token = s.token;
    }
    expect(seen).toEqual([30, 40]);
    const w = await readWorklist(ns, 'restart');
    expect(w.status).toMatchObject({ completed: '0-44', completedItems: 45, failedItems: 0, retry: [] });
    expect(w.status!.conditions).toContainEqual(
      expect.objectContaining({ type: 'Complete', status: 'True', reason: 'AllItemsProcessed' }),
    );
    expect(w.status!.completionTime).toBeDefined();
  });

  it('takes back what a worker that went silent after a partial report had not done', async () => {
    const ns = await setUp(
      worklistYaml('lease', { source: range(1, 10), blockSize: 10, leaseSeconds: 5 }),
      blockYaml('quiet', 'lease'),
    );
    const b = await readyBlock(ns, 'quiet');
    await patchBlock(ns, 'quiet', { spec: { report: { token: b.status!.token, done: '0-3' } } });
    // Nothing more from the worker: once its 5 s lease runs out, the rest goes back to the pool,
    // and its Block is Lost (no new range for a worker that may be dead).
    const w = await eventually(
      'the lease to run out',
      async () => {
        const w = await readWorklist(ns, 'lease');
        return w.status?.retry?.length ? w : undefined;
      },
      30_000,
    );
    expect(w.status).toMatchObject({
      completed: '0-3',
      assigned: [],
      retry: [{ attempts: 1, ranges: '4-9' }],
    });
    // The ledger is written first and the Block's status after it, so the Block may lag a moment.
    const lost = await eventually('the Block to be marked Lost', async () => {
      const s = (await readBlock(ns, 'quiet')).status;
      return s?.phase === 'Lost' ? s : undefined;
    });
    expect(lost).toMatchObject({ token: b.status!.token });
  });

  it("gives a dead worker pod's range to another Block and removes its Block", async () => {
    // A worker pod (on a kwok node, which keeps a pod that no Job owns Running) and the Block
    // its worker made.
    const ns = await setUp(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'worker-pod', labels: { 'teamtask.dev/worklist': 'pods' } },
        spec: { ...onKwokNode, containers: [{ name: 'w', image: 'busybox:1.36' }] },
      }),
    );
    await eventually('the pod to run', async () =>
      kubectl('get', 'pod', 'worker-pod', '-n', ns, '-o', 'jsonpath={.status.phase}').stdout === 'Running'
        ? true
        : undefined,
    );
    const apply = kubectlStdin(
      [
        worklistYaml('pods', { source: range(1, 10), blockSize: 10 }),
        blockYaml('worker-pod', 'pods', { labels: { 'teamtask.dev/pod': 'worker-pod' } }),
      ].join('---\n'),
      'apply',
      '-n',
      ns,
    );
    expect(apply.stderr).toBe('');
    await readyBlock(ns, 'worker-pod');
    expect(kubectl('delete', 'pod', 'worker-pod', '-n', ns, '--grace-period=0', '--force').status).toBe(0);
    await eventually('the Block of the dead pod to go', async () => {
      try {
        await readBlock(ns, 'worker-pod');
        return undefined;
      } catch {
        return true;
      }
    });
    const w = await readWorklist(ns, 'pods');
    expect(w.status!.retry).toEqual([{ attempts: 1, ranges: '0-9' }]);
    expect(kubectlStdin(blockYaml('successor', 'pods'), 'create', '-n', ns).status).toBe(0);
    expect((await readyBlock(ns, 'successor')).status).toMatchObject({ index: 0, size: 10, attempt: 2 });
  });

  it('with --watch-namespace, keeps the ledgers of that namespace only', async () => {
    await stopController();
    const [unwatched, watched] = [await setUp(), await setUp()];
    for (const ns of [unwatched, watched]) {
      const apply = kubectlStdin(
        [worklistYaml('scoped', { source: range(1, 10), blockSize: 10 }), blockYaml('s', 'scoped')].join(
          '---\n',
        ),
        'apply',
        '-n',
        ns,
      );
      expect(apply.stderr).toBe('');
    }
    const scoped = startController('--no-leader-elect', '--watch-namespace', watched);
    controller = scoped;
    try {
      await readyBlock(watched, 's');
      // Both were there before the controller started: its first pass saw only the one, and
      // its cache holds only that namespace's Worklist.
      const s = (await readBlock(unwatched, 's')).status;
      expect(s).toMatchObject({ phase: 'Pending' });
      expect(s?.token).toBeUndefined();
      expect((await readWorklist(unwatched, 'scoped')).status).toBeUndefined();
      expect(sample(await controllerMetrics(scoped), 'teamtask_controller_worklists')).toBe(1);
    } finally {
      await stopController();
    }
  });
});
