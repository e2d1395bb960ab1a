import { CustomObjectsApi } from '@kubernetes/client-node';
import { retrying } from '../../src/kube/retry.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshNamespace, kubeConfig, kubectlStdin, teamtask } from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { readWorklist } from '../support/read.js';
import { type Background, startController, withoutInClusterController } from '../support/processes.js';
import { InProcessWorker, RunCounts } from '../support/workers.js';

// The controller as a real process, many workers (the real runtime, in this process, with an
// item function that counts runs) against the real API server: every item runs exactly once,
// the number of objects stays that of the workers, the ledger stays small, and a controller
// killed with SIGKILL again and again loses nothing and repeats nothing.

const custom = kubeConfig().makeApiClient(CustomObjectsApi);
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const create = (name: string, spec: unknown) =>
  expect(kubectlStdin(worklistYaml(name, spec), 'create', '-n', ns.name).stderr).toBe('');

/** Samples the live Block count and the Worklist's size as the API server returns it, until stopped. */
function sampler(worklist: string) {
  const seen = { samples: 0, maxBlocks: 0, maxBytes: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const blocks = (await retrying('list Blocks', () =>
        custom.listNamespacedCustomObject({
          group: 'teamtask.dev',
          version: 'v1alpha1',
          plural: 'blocks',
          namespace: ns.name,
        }),
      )) as { items: unknown[] };
      const w = await retrying('read the Worklist', () => readWorklist(ns.name, worklist));
      seen.samples++;
      seen.maxBlocks = Math.max(seen.maxBlocks, blocks.items.length);
      seen.maxBytes = Math.max(seen.maxBytes, Buffer.byteLength(JSON.stringify(w)));
      await sleep(250);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-scale');
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

describe('the controller at scale', () => {
  it('runs 100,000 items in blocks of 100 with 20 workers exactly once, with at most workers + 2 Blocks and a Worklist under 20 KB', async () => {
    controller = startController();
    create('big', { source: range(1, 100_000), blockSize: 100 });
    const counts = new RunCounts(100_000);
    const sample = sampler('big');
    const workers = Array.from(
      { length: 20 },
      (_, i) => new InProcessWorker(ns.name, 'big', `big-w${i}`, counts.execute()),
    );
    const totals = await Promise.all(workers.map((w) => w.finished));
    const seen = await sample.stop();
    console.info(`100k items, 20 workers: ${JSON.stringify(seen)}`);

    expect(counts.notOnce()).toEqual([]);
    expect(totals.reduce((n, t) => n + t.completed, 0)).toBe(100_000);
    const w = await readWorklist(ns.name, 'big');
    expect(w.status).toMatchObject({ completed: '0-99999', completedItems: 100_000, failedItems: 0 });
    expect(seen.samples).toBeGreaterThan(4);
    expect(seen.maxBlocks).toBeGreaterThan(0);
    expect(seen.maxBlocks).toBeLessThanOrEqual(22);
    expect(seen.maxBytes).toBeLessThanOrEqual(20 * 1024);
    await controller.stop();
    controller = undefined;
  }, 600_000);

  it('loses nothing and runs nothing twice when the controller is killed with SIGKILL six times mid-run', async () => {
    create('chaos', { source: range(1, 40_000), blockSize: 100 });
    const counts = new RunCounts(40_000);
    // Leader election off: a SIGKILLed leader keeps its Lease until it runs out, which would
    // only make the gaps longer.
    const start = () => startController('--no-leader-elect');
    const workers = Array.from(
      { length: 5 },
      (_, i) => new InProcessWorker(ns.name, 'chaos', `chaos-w${i}`, counts.execute(2)),
    );
    const progressAtKills: number[] = [];
    const completed = async () => (await readWorklist(ns.name, 'chaos')).status?.completedItems ?? 0;
    // Each controller is killed once it is seen at work (it folded more items), a fixed while
    // later: mid-run whatever the machine's speed, at a different point of its cycle each time.
    for (const after of [0, 150, 40, 300, 90, 220]) {
      const before = await completed();
      const victim = start();
      await eventually('this controller to fold more items', async () =>
        (await completed()) > before ? true : undefined,
      );
      await sleep(after);
      victim.child.kill('SIGKILL');
      await victim.exited;
      progressAtKills.push(await completed());
    }
    controller = start();
    await Promise.all(workers.map((w) => w.finished));

    // Every kill happened while work was under way: after progress, before the end.
    expect(progressAtKills.at(-1)).toBeLessThan(40_000);
    expect(counts.notOnce()).toEqual([]);
    const w = await readWorklist(ns.name, 'chaos');
    expect(w.status).toMatchObject({
      completed: '0-39999',
      completedItems: 40_000,
      failedItems: 0,
      retry: [],
    });
  }, 600_000);
});
