import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, onKwokNode, range, worklistYaml } from '../support/objects.js';
import { readWorklist, readBlock } from '../support/read.js';
import { patchBlock } from '../support/write.js';
import { type Background, startController, withoutInClusterController } from '../support/processes.js';

// The controller as a real process against the real API server: it assigns ranges to Blocks,
// folds workers' reports into the Worklist's ledger, takes back what a vanished Block held,
// finishes the Worklist, and picks up after a restart exactly where the ledger says.
// Workers are played by the test, writing spec.report as the worker runtime will.

const custom = kubeConfig().makeApiClient(CustomObjectsApi);
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background | undefined;

function start(): void {
  controller = startController();
}

async function stopController(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}

const api = { group: 'teamtask.dev', version: 'v1alpha1' };
const getWorklist = (name: string) => readWorklist(ns.name, name);
const getBlock = (name: string) => readBlock(ns.name, name);

/** What a worker does when it has finished its whole range. */
async function completeRange(name: string): Promise<string> {
  const b = await getBlock(name);
  const start = Number(b.status!.index);
  const done = `${start}-${start + Number(b.status!.size) - 1}`;
  await patchBlock(ns.name, name, { spec: { report: { token: b.status!.token, done, complete: true } } });
  return done;
}

const readyBlock = (name: string, notToken?: number) =>
  eventually(`block ${name} to hold a range`, async () => {
    const b = await getBlock(name);
    return b.status?.phase === 'Ready' && b.status.token !== notToken ? b : undefined;
  });

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-controller');
  start();
});
afterAll(async () => {
  await stopController();
  await ns?.remove();
});

describe('the controller', () => {
  it('gives each new Block its own range and records it in the ledger', async () => {
    const apply = kubectlStdin(
      [
        worklistYaml('small', { source: range(1, 45), blockSize: 10 }),
        blockYaml('a', 'small'),
        blockYaml('b', 'small'),
      ].join('---\n'),
      'apply',
      '-n',
      ns.name,
    );
    expect(apply.stderr).toBe('');
    const [a, b] = [await readyBlock('a'), await readyBlock('b')];
    expect(new Set([a.status!.index, b.status!.index])).toEqual(new Set([0, 10]));
    const w = await getWorklist('small');
    expect(w.status).toMatchObject({ totalItems: 45, completedItems: 0, workers: 2 });
    expect(w.status!.assignments!.map((x) => x.block).sort()).toEqual(['a', 'b']);
  });

  it('folds a completed range and hands the same Block the next one', async () => {
    const before = await getBlock('a');
    const done = await completeRange('a');
    const next = await readyBlock('a', before.status!.token);
    expect(next.status!.index).toBe(20);
    const w = await getWorklist('small');
    expect(w.status!.completed).toBe(done);
  });

  it('takes back the range of a Block that disappears', async () => {
    const held = (await getBlock('b')).status!;
    await custom.deleteNamespacedCustomObject({ ...api, plural: 'blocks', namespace: ns.name, name: 'b' });
    const w = await eventually('b to leave the ledger', async () => {
      const w = await getWorklist('small');
      return w.status!.assignments!.some((x) => x.block === 'b') ? undefined : w;
    });
    expect(w.status!.retry).toEqual([{ attempts: 1, ranges: `${held.index}-${Number(held.index) + 9}` }]);
    expect(w.status!.workers).toBe(1);
  });

  it('continues after a restart where the ledger says, then finishes the Worklist', async () => {
    await stopController();
    start();
    // One worker finishes everything, range by range; the retry items come first.
    const seen: number[] = [];
    for (;;) {
      const b = await getBlock('a');
      if (b.status?.phase === 'Drained') break;
      const token = (await readyBlock('a')).status!.token!;
      seen.push(Number((await getBlock('a')).status!.index));
      await completeRange('a');
      await eventually('the next word for a', async () => {
        const s = (await getBlock('a')).status!;
        return s.token !== token || s.phase === 'Drained' ? true : undefined;
      });
    }
    expect(seen[0]).toBe(20); // a's range from before the restart, not a new one
    const w = await getWorklist('small');
    expect(w.status).toMatchObject({ completed: '0-44', completedItems: 45, failedItems: 0, retry: [] });
    expect(w.status!.conditions).toContainEqual(
      expect.objectContaining({ type: 'Complete', status: 'True', reason: 'AllItemsProcessed' }),
    );
    expect(w.status!.completionTime).toBeDefined();
  });

  it('takes back what a worker that went silent after a partial report had not done', async () => {
    const apply = kubectlStdin(
      [
        worklistYaml('lease', { source: range(1, 10), blockSize: 10, leaseSeconds: 5 }),
        blockYaml('quiet', 'lease'),
      ].join('---\n'),
      'apply',
      '-n',
      ns.name,
    );
    expect(apply.stderr).toBe('');
    const b = await readyBlock('quiet');
    await patchBlock(ns.name, 'quiet', { spec: { report: { token: b.status!.token, done: '0-3' } } });
    // Nothing more from the worker: once its 5 s lease runs out, the rest goes back to the pool,
    // and its Block is Lost (no new range for a worker that may be dead).
    const w = await eventually(
      'the lease to run out',
      async () => {
        const w = await getWorklist('lease');
        return w.status?.retry?.length ? w : undefined;
      },
      30_000,
    );
    expect(w.status).toMatchObject({
      completed: '0-3',
      assignments: [],
      retry: [{ attempts: 1, ranges: '4-9' }],
    });
    expect((await getBlock('quiet')).status).toMatchObject({ phase: 'Lost', token: b.status!.token });
  });

  it("gives a dead worker pod's range to another Block and removes its Block", async () => {
    // A worker pod (on a kwok node, which keeps a pod that no Job owns Running) and the Block
    // its worker made.
    const pod = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker-pod', labels: { 'teamtask.dev/worklist': 'pods' } },
      spec: { ...onKwokNode, containers: [{ name: 'w', image: 'busybox:1.36' }] },
    });
    expect(kubectlStdin(pod, 'create', '-n', ns.name).status).toBe(0);
    await eventually('the pod to run', async () =>
      kubectl('get', 'pod', 'worker-pod', '-n', ns.name, '-o', 'jsonpath={.status.phase}').stdout ===
      'Running'
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
      ns.name,
    );
    expect(apply.stderr).toBe('');
    await readyBlock('worker-pod');
    expect(kubectl('delete', 'pod', 'worker-pod', '-n', ns.name, '--grace-period=0', '--force').status).toBe(
      0,
    );
    await eventually('the Block of the dead pod to go', async () => {
      try {
        await getBlock('worker-pod');
        return undefined;
      } catch {
        return true;
      }
    });
    const w = await getWorklist('pods');
    expect(w.status!.retry).toEqual([{ attempts: 1, ranges: '0-9' }]);
    expect(kubectlStdin(blockYaml('successor', 'pods'), 'create', '-n', ns.name).status).toBe(0);
    expect((await readyBlock('successor')).status).toMatchObject({ index: 0, size: 10, attempt: 2 });
  });

  it('logs no failed syncs other than conflicts it retried', () => {
    expect(controller?.output).not.toMatch(/sync .* failed/);
  });

  it('with --watch-namespace, keeps the ledgers of that namespace only', async () => {
    await stopController();
    const other = await freshNamespace('e2e-controller-scope');
    try {
      for (const namespace of [ns.name, other.name]) {
        const apply = kubectlStdin(
          [worklistYaml('scoped', { source: range(1, 10), blockSize: 10 }), blockYaml('s', 'scoped')].join(
            '---\n',
          ),
          'apply',
          '-n',
          namespace,
        );
        expect(apply.stderr).toBe('');
      }
      controller = startController('--no-leader-elect', '--watch-namespace', other.name);
      await eventually('the Block in the watched namespace to hold a range', async () =>
        (await readBlock(other.name, 's')).status?.phase === 'Ready' ? true : undefined,
      );
      // Both were there before the controller started: its first pass saw only the one.
      expect((await getBlock('s')).status).toMatchObject({ phase: 'Pending' });
      expect((await getBlock('s')).status?.token).toBeUndefined();
      expect((await getWorklist('scoped')).status).toBeUndefined();
      expect(controller.output).toContain(`reconciling Worklists in namespace ${other.name}`);
    } finally {
      await stopController();
      await other.remove();
    }
  });
});
