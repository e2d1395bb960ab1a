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
