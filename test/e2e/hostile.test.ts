import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sample } from '../../src/controller/metrics.js';
import { ownedObjects, workerServiceAccount } from '../../src/create/objects.js';
import {
  eventually,
  freshNamespace,
  kubeconfigFor,
  kubectl,
  kubectlStdin,
  teamtask,
} from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { readBlock, readWorklist } from '../support/read.js';
import {
  type Background,
  controllerMetrics,
  startController,
  withoutInClusterController,
} from '../support/processes.js';
import { InProcessWorker, RunCounts } from '../support/workers.js';

// A hostile worker: one that writes, with its own ServiceAccount's token, what a careless or
// malicious worker could. Whatever it writes, the API server refuses it or the controller
// ignores it for that Block alone, and the Worklist finishes with every item run.

const dir = mkdtempSync(join(tmpdir(), 'teamtask-hostile-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-hostile');
  controller = startController();
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

const create = (name: string, spec: unknown) =>
  expect(kubectlStdin(worklistYaml(name, spec), 'create', '-n', ns.name).stderr).toBe('');

/**
 * The ServiceAccount, Role and RoleBinding `kubectl teamtask create` makes for a Worklist's
 * workers, and a kubeconfig with that ServiceAccount's token: `kubectl` as that worker.
 */
async function workerOf(
  worklist: string,
): Promise<(input: string | undefined, ...args: string[]) => ReturnType<typeof kubectl>> {
  const uid = (await readWorklist(ns.name, worklist)).metadata.uid!;
  const objects = ownedObjects(
    {
      name: worklist,
      namespace: ns.name,
      source: {},
      blockSize: 1,
      workers: 1,
      image: 'x',
      command: ['true'],
      jobs: 1,
    },
    { uid },
  ).filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind!));
  expect(kubectlStdin(objects.map((o) => stringify(o)).join('---\n'), 'apply').stderr).toBe('');
  const config = await kubeconfigFor(ns.name, workerServiceAccount(worklist), dir);
  return (input, ...args) =>
    input === undefined
      ? kubectl('--kubeconfig', config, '-n', ns.name, ...args)
      : kubectlStdin(input, '--kubeconfig', config, '-n', ns.name, ...args);
}

const blockWithReport = (name: string, worklist: string, report: unknown) =>
  stringify({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name },
    spec: { worklist, worker: 'hostile', report },
  });

const events = (worklist: string) =>
  (
    JSON.parse(
      kubectl(
        'get',
        'events',
        '-n',
        ns.name,
        '--field-selector',
        `involvedObject.kind=Worklist,involvedObject.name=${worklist}`,
        '-o',
        'json',
      ).stdout,
    ) as { items: { reason: string; message: string; type: string }[] }
  ).items;

describe('a hostile worker', () => {
  it('cannot write a report the schema can judge, and one it cannot stops only its own Block', async () => {
    create('g1', { source: range(1, 200), blockSize: 10, leaseSeconds: 5 });
    const asWorker = await workerOf('g1');
    for (const [report, field] of [
      [{ token: 1, done: 'abc' }, 'spec.report.done'],
      [{ token: 1, failed: '-5' }, 'spec.report.failed'],
      [{ token: 1, done: `0${',1'.repeat(600_000)}` }, 'spec.report.done'],
      [{ token: -1, done: '0' }, 'spec.report.token'],
    ] as const) {
      const res = asWorker(blockWithReport('g1-evil', 'g1', report), 'create');
      expect(res.status, res.stdout).not.toBe(0);
      expect(res.stderr).toContain(field);
    }
    // "9-3" has the shape of a range but ends before it starts: only the controller can tell.
    expect(asWorker(blockWithReport('g1-evil', 'g1', undefined), 'create').stderr).toBe('');
    const held = await eventually('g1-evil to hold a range', async () => {
      const s = (await readBlock(ns.name, 'g1-evil')).status;
      return s?.phase === 'Ready' ? s : undefined;
    });
    const patch = JSON.stringify({ spec: { report: { token: held.token, done: '9-3', complete: true } } });
    expect(asWorker(undefined, 'patch', 'block', 'g1-evil', '--type=merge', '-p', patch).stderr).toBe('');

    const runs = new RunCounts(200);
    const workers = ['g1-a', 'g1-b'].map((b) => new InProcessWorker(ns.name, 'g1', b, runs.execute()));
    await Promise.all(workers.map((w) => w.finished));
    expect(runs.notOnce()).toEqual([]);
    const w = await readWorklist(ns.name, 'g1');
    expect(w.status).toMatchObject({ completedItems: 200, failedItems: 0 });
    expect(events('g1')).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'ReportRefused',
        message: expect.stringContaining(
          'block g1-evil: its report was ignored ("9-3" ends before it starts)',
        ),
      }),
    );
    expect(sample(await controllerMetrics(controller), 'teamtask_controller_malformed_reports_total')).toBe(
      1,
    );
  });
});

describe('interleaved failures', () => {
  it('on 300,000 items, every other one failing: the Worklist stops Failed while small, and retry starts it again', async () => {
    create('odd', { source: range(1, 300_000), blockSize: 500, maxAttempts: 1 });
    const evenFails = async (_item: string, offset: number) => offset % 2 === 1;
    const workers = ['odd-a', 'odd-b'].map((b) => new InProcessWorker(ns.name, 'odd', b, evenFails));
    const failedCondition = async () =>
      (await readWorklist(ns.name, 'odd')).status?.conditions?.find((c) => c.type === 'Failed');
    const failed = await eventually(
      'odd to fail',
      async () => ((await failedCondition())?.status === 'True' ? await failedCondition() : undefined),
      120_000,
    );
    expect(failed).toMatchObject({ reason: 'TooManyFailedRanges' });
    const m =
      /^the failed items form (\d+) separate ranges, more than the 1000 a Worklist records: nothing new is handed out; fix the command, then run kubectl teamtask retry odd --failed$/.exec(
        failed!.message,
      );
    // Past 1,000 nothing new is handed out; what is out (two workers, each report at most 100
    // ranges) still lands.
    expect(Number(m?.[1])).toBeGreaterThan(1000);
    expect(Number(m?.[1])).toBeLessThanOrEqual(1000 + 2 * 100);
    // Reports were cut short at 100 ranges: none was refused, nothing ran twice.
    for (const w of workers) expect(w.log.join('\n')).not.toMatch(/failed|refused|invalid/i);
    const size = kubectl('get', 'worklist', 'odd', '-n', ns.name, '-o', 'json').stdout.length;
    expect(size).toBeLessThan(100_000);
    // What a user reads still works on it.
    for (const args of [
      ['status', 'odd'],
      ['describe', 'worklist', 'odd'],
    ]) {
      const res = teamtask(...args, '-n', ns.name);
      expect(res.status, res.stderr).toBe(0);
    }
    expect(teamtask('describe', 'worklist', 'odd', '-n', ns.name).stdout).toContain('TooManyFailedRanges');
    expect(events('odd')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'Failed' }));
    const before = (await readWorklist(ns.name, 'odd')).status!;
    expect(teamtask('retry', 'odd', '--failed', '-n', ns.name).status).toBe(0);
    // The failed items are fresh work again: the Worklist hands them out, and (the command
    // being as broken as before) they fail again.
    await eventually('the failed items to be back in the pool', async () => {
      const s = (await readWorklist(ns.name, 'odd')).status!;
      return s.retryApplied === 1 && s.failedItems! < before.failedItems! ? true : undefined;
    });
    await eventually('the items to be run again', async () =>
      (await readWorklist(ns.name, 'odd')).status!.failedItems! >= 100 ? true : undefined,
    );
    await Promise.all(workers.map((w) => w.stop()));
  });
});
