import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Worklist } from '../../src/api/v1alpha1/index.js';
import { sample } from '../../src/controller/metrics.js';
import { eventually, freshNamespace, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, range, worklistYaml } from '../support/objects.js';
import { patchBlock } from '../support/write.js';
import { readBlock, readWorklist, worklistEvents } from '../support/read.js';
import {
  type Background,
  controllerMetrics,
  startController,
  withoutInClusterController,
} from '../support/processes.js';
import { InProcessWorker, RunCounts } from '../support/workers.js';

// What keeps a Worklist safe and its users informed: a ResourceQuota on Blocks caps the
// workers (the rest wait, the Worklist says QuotaLimited, the work still finishes), a report
// from a worker whose lease ran out is ignored and counted, and Events say what happened.

let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

const create = (name: string, spec: unknown) =>
  expect(kubectlStdin(worklistYaml(name, spec), 'create', '-n', ns.name).stderr).toBe('');
const condition = (w: Worklist, type: string) => w.status?.conditions?.find((c) => c.type === type);
const events = (worklist: string) => worklistEvents(ns.name, worklist);

/**
 * A ResourceQuota on Blocks that the quota controller counts. It counts a custom resource only
 * once its discovery (every 30 s) found it, and a quota made before that stays uncounted (and
 * refuses every Block) until the full resync (5 min): on a cluster whose CRDs are seconds old,
 * make the quota again until it is counted, as an admin who meets "status unknown for quota" would.
 */
async function createBlockQuota(slots: number): Promise<void> {
  const quota = `apiVersion: v1
kind: ResourceQuota
metadata: {name: worker-slots}
spec: {hard: {count/blocks.teamtask.dev: "${slots}"}}
`;
  const used = () =>
    kubectl(
      'get',
      'resourcequota',
      'worker-slots',
      '-n',
      ns.name,
      '-o',
      'jsonpath={.status.used.count/blocks\\.teamtask\\.dev}',
    ).stdout;
  const deadline = Date.now() + 90_000;
  for (;;) {
    // Each attempt must be made: a create that fails is a failure, not a reason to try again.
    expect(kubectlStdin(quota, 'create', '-n', ns.name).stderr).toBe('');
    const counted = await eventually('a count', async () => (used() === '0' ? true : undefined), 3000).catch(
      () => false,
    );
    if (counted) return;
    if (Date.now() > deadline) throw new Error('the quota controller never counted Blocks in 90 s');
    expect(kubectl('delete', 'resourcequota', 'worker-slots', '-n', ns.name, '--wait').status).toBe(0);
  }
}

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-safety');
  controller = startController();
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

describe('safety limits', () => {
  it('with a quota of 3 Blocks and 5 workers: 3 work, 2 wait and say why, the Worklist is QuotaLimited, and it finishes', async () => {
    await createBlockQuota(3);
    create('slots', { source: range(1, 300), blockSize: 10 });
    const counts = new RunCounts(300);
    const workers = Array.from(
      { length: 5 },
      (_, i) => new InProcessWorker(ns.name, 'slots', `slots-w${i}`, counts.execute(40)),
    );
    const limited = await eventually('QuotaLimited', async () => {
      const c = condition(await readWorklist(ns.name, 'slots'), 'QuotaLimited');
      return c?.status === 'True' ? c : undefined;
    });
    expect(limited.message).toBe(
      'ResourceQuota worker-slots allows 3 count/blocks.teamtask.dev, 3 in use: more workers wait for a slot',
    );
    const refused = () =>
      workers.filter((x) => x.log.some((l) => l.includes('a ResourceQuota refuses the Block')));
    await eventually('two workers to say they wait for the quota', async () =>
      refused().length >= 2 ? true : undefined,
    );
    const waiting = refused();
    expect(waiting).toHaveLength(2);
    expect(waiting[0]!.log.find((l) => l.includes('ResourceQuota'))).toMatch(
      /exceeded quota: worker-slots.*retrying in 1 s/,
    );
    const blocks = kubectl('get', 'blocks', '-n', ns.name, '-o', 'name').stdout.trim().split('\n');
    expect(blocks).toHaveLength(3);

    const totals = await Promise.all(workers.map((w) => w.finished));
    expect(counts.notOnce()).toEqual([]);
    expect(totals.filter((t) => t.completed > 0)).toHaveLength(3);
    const w = await readWorklist(ns.name, 'slots');
    expect(w.status).toMatchObject({ completedItems: 300 });
    expect(condition(w, 'QuotaLimited')).toMatchObject({ status: 'False', reason: 'Finished' });
    const recorded = await eventually('the Completed Event', async () => {
      const e = await events('slots');
      return e.some((x) => x.reason === 'Completed') ? e : undefined;
    });
    expect(recorded).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'QuotaLimited', message: limited.message }),
    );
    expect(recorded).toContainEqual(
      expect.objectContaining({ type: 'Normal', reason: 'Completed', message: '300 completed, 0 failed' }),
    );
    expect(kubectl('delete', 'resourcequota', 'worker-slots', '-n', ns.name).status).toBe(0);
  }, 240_000);

  it('ignores a report from a worker whose lease ran out, counts it in a metric, and records the expiry', async () => {
    const apply = kubectlStdin(
      [
        worklistYaml('late', { source: range(1, 10), blockSize: 10, leaseSeconds: 5 }),
        blockYaml('slow', 'late'),
      ].join('---\n'),
      'apply',
      '-n',
      ns.name,
    );
    expect(apply.stderr).toBe('');
    const first = await eventually('slow to hold a range', async () => {
      const b = await readBlock(ns.name, 'slow');
      return b.status?.phase === 'Ready' ? b.status : undefined;
    });
    // The worker says nothing for longer than the lease: its range goes back and its Block is
    // Lost, given nothing until the worker writes to it again.
    await eventually(
      'the lease to run out',
      async () => ((await readBlock(ns.name, 'slow')).status?.phase === 'Lost' ? true : undefined),
      30_000,
    );
    const stale = async () =>
      sample(await controllerMetrics(controller), 'teamtask_controller_stale_reports_total');
    const before = await stale();
    await patchBlock(ns.name, 'slow', {
      spec: { report: { token: first.token, done: '0-9', complete: true } },
    });
    const after = await eventually('the stale report to be counted', async () => {
      const n = await stale();
      return n !== before ? n : undefined;
    });
    expect(after).toBe(before! + 1);
    // The late report is ignored, but it is a sign of life: the Block gets the items again.
    const second = await eventually('slow to hold a range again', async () => {
      const s = (await readBlock(ns.name, 'slow')).status;
      return s?.phase === 'Ready' ? s : undefined;
    });
    expect(second).toMatchObject({ index: 0, size: 10, attempt: 2 });
    expect(second.token).not.toBe(first.token);
    const w = await readWorklist(ns.name, 'late');
    expect(w.status).toMatchObject({ completedItems: 0, completed: '' });
    expect(controller.output).toContain('ignored a report for a range it no longer holds');
    expect(await events('late')).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'LeaseExpired',
        message: 'block slow: no report for 5s; offsets 0-9 go back to the pool',
      }),
    );
  });
});
