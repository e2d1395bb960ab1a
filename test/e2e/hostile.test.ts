import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import { sample } from '../../src/controller/metrics.js';
import { workerServiceAccount } from '../../src/api/names.js';
import { ownedObjects } from '../../src/create/objects.js';
import {
  eventually,
  kubeConfig,
  freshNamespace,
  kubeconfigFor,
  kubectl,
  kubectlAs,
  kubectlStdin,
  teamtask,
} from '../support/kube.js';
import { blockYaml, onKwokNode, range, worklistYaml } from '../support/objects.js';
import { fileLines, readBlock, readWorklist, worklistEvents } from '../support/read.js';
import {
  Background,
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
async function workerOf(worklist: string): Promise<ReturnType<typeof kubectlAs>> {
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
  return kubectlAs(await kubeconfigFor(ns.name, workerServiceAccount(worklist), dir), ns.name);
}

/** A user with the built-in `edit` role in the namespace (a ServiceAccount's token, bound to it). */
async function editUser(): Promise<ReturnType<typeof kubectlAs>> {
  const sa = 'editor';
  if (kubectl('get', 'serviceaccount', sa, '-n', ns.name).status !== 0) {
    kubectl('create', 'serviceaccount', sa, '-n', ns.name);
    kubectl(
      'create',
      'rolebinding',
      'editor',
      '--clusterrole=edit',
      `--serviceaccount=${ns.name}:${sa}`,
      '-n',
      ns.name,
    );
  }
  const asEditor = kubectlAs(await kubeconfigFor(ns.name, sa, dir), ns.name);
  await eventually('edit to include blocks', async () =>
    asEditor(undefined, 'auth', 'can-i', 'patch', 'blocks.teamtask.dev').stdout.trim() === 'yes'
      ? true
      : undefined,
  );
  return asEditor;
}

const blockWithReport = (name: string, worklist: string, report: unknown) =>
  stringify({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name },
    spec: { worklist, worker: 'hostile', report },
  });

const events = (worklist: string) => worklistEvents(ns.name, worklist);

/** Waits for an Event of `reason` on a Worklist (the controller records it after the status write). */
const eventOf = (worklist: string, reason: string) =>
  eventually(`a ${reason} Event on ${worklist}`, async () =>
    (await events(worklist)).find((e) => e.reason === reason),
  );

describe.each([
  ["with the worker's ServiceAccount", 'gw', workerOf],
  ['as a namespace user with the built-in edit role', 'ge', editUser],
] as const)('a hostile worker %s', (_, g1, identity) => {
  it('cannot write a report the schema can judge, and one it cannot stops only its own Block', async () => {
    create(g1, { source: range(1, 200), blockSize: 10, leaseSeconds: 5 });
    const asWorker = await identity(g1);
    // A report written with the Block, before any range was handed out: refused.
    const forged = asWorker(
      blockWithReport(`${g1}-evil`, g1, { token: 1, done: '0-15', complete: true }),
      'create',
    );
    expect(forged.status).not.toBe(0);
    expect(forged.stderr).toContain('a new Block carries no report on a range');
    // Token 0 fences nothing, and still carries no outcome: only the range size it asks for.
    const zero = asWorker(blockWithReport(`${g1}-evil`, g1, { token: 0, done: '0-15' }), 'create');
    expect(zero.stderr).toContain('a new Block carries no report on a range');
    expect(asWorker(blockWithReport(`${g1}-evil`, g1, undefined), 'create').stderr).toBe('');
    const held = await eventually('g1-evil to hold a range', async () => {
      const s = (await readBlock(ns.name, `${g1}-evil`)).status;
      return s?.phase === 'Ready' ? s : undefined;
    });
    const patch = (report: unknown) => {
      const file = join(dir, 'patch.json');
      writeFileSync(file, JSON.stringify({ spec: { report } }));
      return asWorker(undefined, 'patch', 'block', `${g1}-evil`, '--type=merge', '--patch-file', file);
    };
    for (const [report, field] of [
      [{ token: held.token, done: 'abc' }, 'spec.report.done'],
      [{ token: held.token, failed: '-5' }, 'spec.report.failed'],
      [{ token: held.token, done: `0${',1'.repeat(600_000)}` }, 'spec.report.done'],
      [{ token: -1, done: '0' }, 'spec.report.token'],
    ] as const) {
      const res = patch(report);
      expect(res.status, res.stdout).not.toBe(0);
      expect(res.stderr).toContain(field);
    }
    // "9-3" has the shape of a range but ends before it starts: only the controller can tell.
    expect(patch({ token: held.token, done: '9-3', complete: true }).stderr).toBe('');

    const runs = new RunCounts(200);
    const workers = [`${g1}-a`, `${g1}-b`].map((b) => new InProcessWorker(ns.name, g1, b, runs.execute()));
    await Promise.all(workers.map((w) => w.finished));
    expect(runs.notOnce()).toEqual([]);
    const w = await readWorklist(ns.name, g1);
    expect(w.status).toMatchObject({ completedItems: 200, failedItems: 0 });
    expect(await events(g1)).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'ReportRefused',
        message: expect.stringContaining(
          `block ${g1}-evil: its report was ignored ("9-3" ends before it starts)`,
        ),
      }),
    );
    expect(
      sample(await controllerMetrics(controller), 'teamtask_controller_malformed_reports_total'),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('a worker in a pod', () => {
  it("touches its own Block only: the Job's pods share a ServiceAccount, not their Blocks", async () => {
    create('gp', { source: range(1, 20), blockSize: 5 });
    await workerOf('gp'); // the ServiceAccount, Role and RoleBinding
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const asPod = async (name: string) => {
      const pod = await core.createNamespacedPod({
        namespace: ns.name,
        body: {
          metadata: { name },
          spec: {
            ...onKwokNode,
            serviceAccountName: workerServiceAccount('gp'),
            containers: [{ name: 'w', image: 'x' }],
          },
        },
      });
      const config = await kubeconfigFor(ns.name, workerServiceAccount('gp'), dir, {
        name,
        uid: pod.metadata!.uid!,
      });
      return kubectlAs(config, ns.name);
    };
    const [p0, p1] = [await asPod('gp-0'), await asPod('gp-1')];
    const own = (name: string, pod: string) => blockYaml(name, 'gp', { labels: { 'teamtask.dev/pod': pod } });
    expect(p0(own('gp-0', 'gp-0'), 'create').stderr).toBe('');
    expect(p1(own('gp-1', 'gp-1'), 'create').stderr).toBe('');
    const refused = [
      p0(own('gp-x', 'gp-1'), 'create'),
      p0(
        undefined,
        'patch',
        'block',
        'gp-1',
        '--type=merge',
        '-p',
        '{"spec":{"report":{"token":1,"done":"0-4","complete":true}}}',
      ),
      p0(undefined, 'label', 'block', 'gp-1', 'teamtask.dev/pod=gp-0', '--overwrite'),
      p0(undefined, 'delete', 'block', 'gp-1'),
    ];
    for (const res of refused) {
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(
        'the worker in pod gp-0 may only touch its own Block (labelled teamtask.dev/pod=gp-0)',
      );
    }
    // Its own Block it may report on.
    const patched = p0(
      undefined,
      'patch',
      'block',
      'gp-0',
      '--type=merge',
      '-p',
      '{"spec":{"worker":"gp-0"}}',
    );
    expect(patched.stderr).toBe('');
    await core.deleteCollectionNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=gp-0' });
    await core.deleteCollectionNamespacedPod({ namespace: ns.name, fieldSelector: 'metadata.name=gp-1' });
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
    expect(await eventOf('odd', 'Failed')).toMatchObject({ type: 'Warning' });
    const before = (await readWorklist(ns.name, 'odd')).status!;
    expect(teamtask('retry', 'odd', '--failed', '-n', ns.name).status).toBe(0);
    // The failed items are fresh work again: the Worklist hands them out, and (the command
    // being as broken as before) they fail again.
    const retried = await eventually('the retry to be applied', async () => {
      const s = (await readWorklist(ns.name, 'odd')).status!;
      return s.retryApplied === 1 ? s : undefined;
    });
    // Applied in the same ledger write: the failed items are back in the pool.
    expect(retried.failedItems).toBeLessThan(before.failedItems!);
    await eventually('the items to be run again', async () =>
      (await readWorklist(ns.name, 'odd')).status!.failedItems! >= 100 ? true : undefined,
    );
    await Promise.all(workers.map((w) => w.stop()));
  });
});

describe('a Block', () => {
  const out = (name: string) => join(dir, name);
  const work = (worklist: string, extra: string[], delay = 0) =>
    new Background([
      'work',
      worklist,
      '-n',
      ns.name,
      ...extra,
      '--',
      'sh',
      '-c',
      `echo "$0" >> ${out(worklist)}${delay ? `; sleep ${delay}` : ''}`,
      '{}',
    ]);

  it("of one Worklist is refused to another's worker, and to a second worker of its own", async () => {
    create('t1', { source: range(1, 20), blockSize: 5 });
    create('t2', { source: range(1, 20), blockSize: 5 });
    const first = work('t1', ['--block', 'shared'], 0.2);
    await eventually('shared to hold a range', async () =>
      (await readBlock(ns.name, 'shared')).status?.phase === 'Ready' ? true : undefined,
    );
    const other = teamtask('work', 't2', '-n', ns.name, '--block', 'shared', '--', 'true');
    expect(other.status).toBe(1);
    expect(other.stderr).toBe(
      'error: Block shared belongs to Worklist t1, not t2\nhint: choose another --block name\n',
    );
    const second = teamtask('work', 't1', '-n', ns.name, '--block', 'shared', '--', 'true');
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      /^error: Block shared already exists \(worker .+\): another worker may be using it\nhint: choose another --block name, or, if its worker is gone, delete it first: kubectl delete block shared -n /,
    );
    expect(await first.exited).toBe(0);
    expect(fileLines(out('t1')).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
    expect((await readWorklist(ns.name, 't2')).status?.completedItems ?? 0).toBe(0);
    // Workers without --block get names the API server makes unique: two on one host share nothing.
    const both = [work('t2', []), work('t2', [])];
    expect(await Promise.all(both.map((w) => w.exited))).toEqual([0, 0]);
    const names = both.map((w) => /teamtask: block (\S+) working on worklist t2/.exec(w.output)?.[1]);
    expect(names[0]).toMatch(/^t2-.+-[a-z0-9]{5}$/);
    expect(names[0]).not.toBe(names[1]);
    expect(fileLines(out('t2'))).toHaveLength(20);
  });

  it('naming a Worklist that does not exist is told so', async () => {
    expect(kubectlStdin(blockYaml('typo', 'no-such-worklist'), 'create', '-n', ns.name).stderr).toBe('');
    const told = await eventually(
      'typo to be told',
      async () => (await readBlock(ns.name, 'typo')).status?.message,
    );
    expect(told).toBe(
      `Worklist no-such-worklist does not exist in namespace ${ns.name}: check spec.worklist (kubectl get worklists -n ${ns.name})`,
    );
  });

  it('deleted under its worker stops it at once: few items run twice, and the worker says what happened', async () => {
    create('del', { source: range(1, 1000), blockSize: 1000 });
    const victim = work('del', ['--block', 'del-victim'], 0.05);
    await eventually('the victim to be mid-range', async () =>
      fileLines(out('del')).length >= 20 ? true : undefined,
    );
    expect(kubectl('delete', 'block', 'del-victim', '-n', ns.name, '--wait=false').status).toBe(0);
    expect(await victim.exited).toBe(1);
    expect(victim.output).toContain(
      'error: Block del-victim was deleted while this worker used it: it stopped, and what it had not reported went back to the pool\nhint: run the worker again to rejoin Worklist del',
    );
    expect(victim.output).not.toContain('progress report failed');
    expect(await work('del', []).exited).toBe(0);
    const ran = fileLines(out('del'));
    expect(new Set(ran).size).toBe(1000);
    // What ran twice is what the victim finished but had not reported: about a second's worth.
    expect(ran.length - 1000).toBeLessThan(40);
    expect((await readWorklist(ns.name, 'del')).status).toMatchObject({ completedItems: 1000 });
  });
});

describe('a ConfigMap source', () => {
  const configMap = (name: string, lines: number) =>
    expect(
      kubectlStdin(
        stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name },
          data: { items: Array.from({ length: lines }, (_, i) => `item-${i}`).join('\n') },
        }),
        'create',
        '-n',
        ns.name,
      ).stderr,
    ).toBe('');
  const condition = async (worklist: string, type: string) =>
    (await readWorklist(ns.name, worklist)).status?.conditions?.find((c) => c.type === type);

  it('is held to the cluster block limit: by create, and by the controller for a Worklist made otherwise', async () => {
    const limit = (n: string) =>
      kubectl(
        'patch',
        'configmap',
        'teamtask-limits',
        '-n',
        'teamtask-system',
        '--type=merge',
        '-p',
        JSON.stringify({ data: { maxBlocksPerWorklist: n } }),
      );
    expect(limit('1000').status).toBe(0);
    try {
      configMap('lines', 5000);
      const refused = teamtask(
        'create',
        'cm-big',
        '-n',
        ns.name,
        '--from-configmap',
        'lines',
        '--block-size',
        '1',
        '--workers',
        '0',
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(
        "error: ConfigMap lines's 5000 items in blocks of 1 make 5000 blocks, more than the cluster allows (1000, ConfigMap teamtask-system/teamtask-limits)\nhint: raise --block-size to at least 5\n",
      );
      create('cm-big', { source: { configMap: { name: 'lines' } }, blockSize: 1 });
      const runs = new RunCounts(5000);
      const worker = new InProcessWorker(ns.name, 'cm-big', 'cm-big-w', runs.execute());
      const failed = await eventually('cm-big to fail', async () => {
        const c = await condition('cm-big', 'Failed');
        return c?.status === 'True' ? c : undefined;
      });
      expect(failed).toMatchObject({
        reason: 'TooManyBlocks',
        message:
          'its 5000 items in blocks of 1 make 5000 blocks, more than the cluster allows (1000, maxBlocksPerWorklist in ConfigMap teamtask-limits): create it again with a block size of at least 5',
      });
      const told = await eventually('its worker to be told the Worklist failed', async () => {
        const s = (await readBlock(ns.name, 'cm-big-w')).status;
        return s?.message?.startsWith('the Worklist failed') ? s : undefined;
      });
      expect(told.message).toBe('the Worklist failed (TooManyBlocks): nothing is handed out');
      await worker.stop();
      expect(runs.counts.reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      expect(limit('1000000').status).toBe(0);
    }
  });

  it('that is missing, or deleted later, is named in a Ready condition and an Event', async () => {
    create('cm-none', { source: { configMap: { name: 'later' } }, blockSize: 5 });
    const missing = await eventually('cm-none to say its ConfigMap is missing', async () => {
      const c = await condition('cm-none', 'Ready');
      return c?.status === 'False' ? c : undefined;
    });
    expect(missing).toMatchObject({
      reason: 'ConfigMapMissing',
      message:
        'ConfigMap later is not found: workers cannot read the items; create it again with the same lines under key items',
    });
    expect(await eventOf('cm-none', 'ConfigMapMissing')).toMatchObject({ type: 'Warning' });
    expect(teamtask('describe', 'worklist', 'cm-none', '-n', ns.name).stdout).toContain('ConfigMapMissing');
    // Made after all: the controller reads it again (at most 30 s later) and the work starts.
    configMap('later', 20);
    const counted = await eventually(
      'cm-none to count its items',
      async () => (await readWorklist(ns.name, 'cm-none')).status?.totalItems,
      60_000,
    );
    expect(counted).toBe(20);
    expect(await condition('cm-none', 'Ready')).toMatchObject({ status: 'True', reason: 'ItemsReadable' });
    // Deleted while the Worklist is not finished: said within 30 s.
    expect(kubectl('delete', 'configmap', 'later', '-n', ns.name).status).toBe(0);
    await eventually(
      'cm-none to say its ConfigMap is gone',
      async () => ((await condition('cm-none', 'Ready'))?.status === 'False' ? true : undefined),
      60_000,
    );
    const missingTwice = await eventually('a second ConfigMapMissing Event', async () => {
      const e = (await events('cm-none')).filter((x) => x.reason === 'ConfigMapMissing');
      return e.length >= 2 ? e : undefined;
    });
    expect(missingTwice).toHaveLength(2);
  }, 180_000);
});
