import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrue } from '../../src/api/conditions.js';
import { WorklistConditions, type Worklist } from '../../src/api/v1alpha1/index.js';
import { parentReaderRole, upstreamBlockName } from '../../src/api/names.js';
import { eventually, freshNamespace, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { readBlock, readWorklist } from '../support/read.js';
import { Background, startController, withoutInClusterController } from '../support/processes.js';
import { Recorder } from '../support/watch.js';
import { InProcessWorker, RunCounts } from '../support/workers.js';

// Secondary Worklists in one cluster (docs/secondary.md): a parent, and secondaries in other
// namespaces whose source is the parent, each with its own block size and its own workers (the
// real worker runtime, in this process), against the real controller process and API server.
// What is checked is the parent's ledger, the one exact one, and what the workers ran.

type Namespace = Awaited<ReturnType<typeof freshNamespace>>;
let parentNs: Namespace;
const secondaryNs: Namespace[] = [];
let controller: Background | undefined;

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  parentNs = await freshNamespace('e2e-parent');
  for (let i = 0; i < 3; i++) secondaryNs.push(await freshNamespace(`e2e-secondary-${i}`));
  controller = startController('--no-leader-elect');
});
afterAll(async () => {
  await controller?.stop();
  await Promise.all([parentNs, ...secondaryNs].map((ns) => ns?.remove()));
});

const create = (namespace: string, name: string, spec: unknown) =>
  expect(kubectlStdin(worklistYaml(name, spec), 'create', '-n', namespace).stderr).toBe('');

const complete = (namespace: string, name: string) =>
  eventually(
    `${namespace}/${name} to be Complete`,
    async () => {
      const w = await readWorklist(namespace, name);
      return isTrue(w.status?.conditions, WorklistConditions.Complete) ? w : undefined;
    },
    240_000,
  );

describe('secondary Worklists in one cluster', () => {
  it('three secondaries with their own block sizes and workers complete a parent of 200,000 items, each item exactly once', async () => {
    const total = 200_000;
    // Every write of the parent's ledger: the secondaries' next ranges started early show in it.
    const ledger = await Recorder.start<Worklist>(
      `/apis/teamtask.dev/v1alpha1/namespaces/${parentNs.name}/worklists`,
      (w) => w.metadata?.name === 'top',
    );
    create(parentNs.name, 'top', { source: range(1, total), blockSize: 1000 });
    const sizes = [100, 250, 500];
    sizes.forEach((blockSize, i) =>
      create(secondaryNs[i]!.name, 'share', {
        source: { worklist: { name: 'top', namespace: parentNs.name } },
        blockSize,
        maxAttempts: 1,
      }),
    );
    const runs = new RunCounts(total);
    const items = new Map<number, string>();
    const workers = secondaryNs.flatMap((ns) =>
      [0, 1].map(
        (k) =>
          new InProcessWorker(ns.name, 'share', `share-${k}`, async (item, offset) => {
            // The parent's item at the parent's offset: 1 + offset for the range 1-200000.
            items.set(offset, item);
            return runs.execute()(item, offset);
          }),
      ),
    );
    const parent = await complete(parentNs.name, 'top');
    expect(parent.status).toMatchObject({
      completedItems: total,
      failedItems: 0,
      completed: `0-${total - 1}`,
    });
    expect(runs.notOnce()).toEqual([]);
    expect([...items].filter(([offset, item]) => item !== String(offset + 1)).slice(0, 5)).toEqual([]);
    // The secondaries started parent ranges before the ones they worked on were done (startedNext),
    // and the parent kept them as theirs (">!" in its ledger line), each item still run once.
    ledger.stop();
    expect(ledger.broken).toBeUndefined();
    const lines = ledger.changes.flatMap((c) => c.object.status?.assigned ?? []);
    expect(lines.filter((line) => line.includes(' >!')).length).toBeGreaterThan(0);
    // Every secondary finishes once its parent has nothing left for it, and its workers exit.
    for (const ns of secondaryNs) {
      const w = await complete(ns.name, 'share');
      expect(w.status?.upstream).toEqual({});
    }
    await Promise.all(workers.map((w) => w.finished));
    // What each secondary completed adds up to the parent's items: no range was taken back.
    const shares = await Promise.all(
      secondaryNs.map(async (ns) => (await readWorklist(ns.name, 'share')).status!.completedItems!),
    );
    expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
    // Each took its share: three trees of different block sizes under one ledger.
    expect(shares.filter((n) => n === 0)).toEqual([]);
  });

  it('a secondary deleted mid-run: its share goes back to the parent and the other one finishes it, nothing lost', async () => {
    const total = 40_000;
    create(parentNs.name, 'mid', { source: range(1, total), blockSize: 500, leaseSeconds: 30 });
    for (const i of [0, 1])
      create(secondaryNs[i]!.name, 'part', {
        source: { worklist: { name: 'mid', namespace: parentNs.name } },
        blockSize: 50,
      });
    const runs = new RunCounts(total);
    // 1 ms an item: 40 s of work for one worker, so the deletion lands mid-run.
    const workersOf = (i: number) =>
      [0, 1].map((k) => new InProcessWorker(secondaryNs[i]!.name, 'part', `part-${k}`, runs.execute(1)));
    const kept = workersOf(0);
    const doomed = workersOf(1);
    // The doomed secondary holds a parent range, and has finished some of its items.
    const held = await eventually('the second secondary to hold a parent range with items done', async () => {
      const w = await readWorklist(secondaryNs[1]!.name, 'part');
      return w.status?.upstream?.working && (w.status.completedItems ?? 0) > 0
        ? w.status.upstream.working
        : undefined;
    });
    // The parent's status shows the tree: the doomed secondary holds a range, has items done, is Ready.
    const status = JSON.parse(teamtask('status', 'mid', '-n', parentNs.name, '-o', 'json').stdout) as {
      secondaries?: { name: string; holds: string; completed?: number; health: string }[];
    };
    expect(status.secondaries?.find((x) => x.name === `${secondaryNs[1]!.name}/part`)).toMatchObject({
      health: 'Ready',
      completed: expect.any(Number) as number,
      holds: expect.stringMatching(/^\d+/) as string,
    });
    expect(kubectl('delete', 'worklist', 'part', '-n', secondaryNs[1]!.name, '--wait=false').status).toBe(0);
    await Promise.all(doomed.map((w) => w.stop().catch(() => undefined)));
    const parent = await complete(parentNs.name, 'mid');
    expect(parent.status).toMatchObject({
      completedItems: total,
      failedItems: 0,
      completed: `0-${total - 1}`,
    });
    // Every item ran; those the deleted secondary ran but had not reported upward ran twice at most.
    expect([...runs.counts].filter((c) => c === 0)).toEqual([]);
    // The parent took back the range it held (its Block's worker counted dead once the secondary was gone).
    await eventually("the deleted secondary's Block in the parent namespace to go", async () => {
      try {
        await readBlock(parentNs.name, upstreamBlockName(secondaryNs[1]!.name, 'part'));
        return undefined;
      } catch {
        return true;
      }
    });
    expect(held.size).toBeGreaterThan(0);
    await complete(secondaryNs[0]!.name, 'part');
    await Promise.all(kept.map((w) => w.finished));
  });

  it("kubectl teamtask create --from-worklist NS/PARENT: worker pods read the parent's items through the Role made beside the parent", async () => {
    const items = Array.from({ length: 20 }, (_, i) => `x${i}`);
    expect(
      teamtask(
        'create',
        'par',
        '-n',
        parentNs.name,
        '--items',
        items.join(','),
        '--block-size',
        '5',
        '--workers',
        '0',
      ).stderr,
    ).toBe('');
    const created = teamtask(
      'create',
      'sec',
      '-n',
      secondaryNs[2]!.name,
      '--from-worklist',
      `${parentNs.name}/par`,
      '--block-size',
      '2',
      '--workers',
      '1',
      '--image',
      'debian:12-slim',
      '--',
      'sh',
      '-c',
      'case "$0" in x*) ;; *) exit 1;; esac',
      '{}',
    );
    expect(created.stderr).toBe('');
    const reader = parentReaderRole(secondaryNs[2]!.name, 'sec');
    expect(created.stdout.split('\n').filter(Boolean)).toEqual([
      `role.rbac.authorization.k8s.io/${reader} created in namespace ${parentNs.name}`,
      `rolebinding.rbac.authorization.k8s.io/${reader} created in namespace ${parentNs.name}`,
      'worklist.teamtask.dev/sec created',
      'serviceaccount/teamtask-worker-sec created',
      'role.rbac.authorization.k8s.io/teamtask-worker-sec created',
      'rolebinding.rbac.authorization.k8s.io/teamtask-worker-sec created',
      'job.batch/sec-workers created',
    ]);
    // The command exits 1 for anything but the parent's items: all 20 succeed only if the pod read them.
    const parent = await complete(parentNs.name, 'par');
    expect(parent.status).toMatchObject({ completedItems: 20, failedItems: 0 });
    await complete(secondaryNs[2]!.name, 'sec');

    // Deleted, it takes what create made beside the parent with it (the parent owns that: an
    // owner must be in the same namespace).
    expect(teamtask('delete', 'sec', '-n', secondaryNs[2]!.name).stdout.split('\n').filter(Boolean)).toEqual([
      'worklist.teamtask.dev/sec deleted',
      `rolebinding.rbac.authorization.k8s.io/${reader} deleted in namespace ${parentNs.name}`,
      `role.rbac.authorization.k8s.io/${reader} deleted in namespace ${parentNs.name}`,
    ]);
    const left = kubectl('get', 'role,rolebinding', '-n', parentNs.name, '-o', 'name');
    expect(left.stdout.split('\n').filter((l) => l.endsWith(`/${reader}`))).toEqual([]);
  });

  it('kubectl teamtask create --from-worklist that the API server refuses leaves nothing beside the parent', async () => {
    // No Worklist may be made in this namespace: the Role beside the parent is made first, then
    // the Worklist is refused, and the Role and its binding must go again.
    const ns = await freshNamespace('e2e-secondary-quota');
    try {
      expect(
        kubectlStdin(
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: { name: 'no-worklists' },
            spec: { hard: { 'count/worklists.teamtask.dev': '0' } },
          }),
          'create',
          '-n',
          ns.name,
        ).stderr,
      ).toBe('');
      // The quota admits nothing it has not counted yet: wait for the quota controller.
      await eventually('the quota to be counted', async () => {
        const q = kubectl(
          'get',
          'resourcequota',
          'no-worklists',
          '-n',
          ns.name,
          '-o',
          'jsonpath={.status.hard}',
        );
        return q.stdout.includes('count/worklists.teamtask.dev') ? true : undefined;
      });
      const refused = teamtask(
        'create',
        'nope',
        '-n',
        ns.name,
        '--from-worklist',
        `${parentNs.name}/par`,
        '--block-size',
        '2',
        '--workers',
        '1',
        '--image',
        'debian:12-slim',
        '--',
        'true',
      );
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('exceeded quota');
      const reader = parentReaderRole(ns.name, 'nope');
      const left = kubectl('get', 'role,rolebinding', '-n', parentNs.name, '-o', 'name');
      expect(left.stdout.split('\n').filter((l) => l.endsWith(`/${reader}`))).toEqual([]);
    } finally {
      await ns.remove();
    }
  });
});
