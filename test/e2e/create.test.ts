import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { readBlock, readWorklist } from '../support/read.js';
import { Background, startController, withoutInClusterController } from '../support/processes.js';
import { workerPodsRunning } from '../support/write.js';

// `kubectl teamtask create` as a user runs it: the Worklist, the workers' identity and the
// Indexed Job, all owned by the Worklist. The Job's pods run for real on the local cluster's real
// node (the runtime copied in from the Teamtask image); the controller is this test's process.

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const dir = mkdtempSync(join(tmpdir(), 'teamtask-create-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

const getWorklist = (name: string) => readWorklist(ns.name, name);

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-create');
  controller = startController();
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

describe('kubectl teamtask create', () => {
  it('prints with --dry-run=client -o yaml what the API server accepts, creating nothing', () => {
    const res = teamtask(
      'create',
      'preview',
      '-n',
      ns.name,
      '--range',
      '1-100',
      '--block-size',
      '10',
      '--workers',
      '3',
      '--image',
      'debian:12-slim',
      '--dry-run=client',
      '-o',
      'yaml',
      '--',
      'echo',
      '{}',
    );
    expect(res.stderr).toBe('');
    const list = parse(res.stdout) as { items: { kind: string; spec?: Record<string, unknown> }[] };
    expect(list.items.map((o) => o.kind)).toEqual([
      'Worklist',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'Job',
    ]);
    const job = list.items[4]!.spec as {
      completionMode: string;
      parallelism: number;
      template: { spec: { containers: { image: string; command: string[] }[] } };
    };
    expect(job).toMatchObject({ completionMode: 'Indexed', parallelism: 3, completions: 3 });
    expect(job.template.spec.containers[0]).toMatchObject({
      image: 'debian:12-slim',
      command: [
        '/teamtask/app/bin/teamtask-launch',
        '/teamtask/app/node/bin/node',
        '/teamtask/app/bin/run.js',
        'work',
        'preview',
        '--jobs',
        '1',
        '--',
        'echo',
        '{}',
      ],
    });
    const check = kubectlStdin(res.stdout, 'apply', '--dry-run=server');
    expect(check.stderr).toBe('');
    expect(kubectl('get', 'worklists,jobs', '-n', ns.name, '-o', 'name').stdout).toBe('');
  });

  it("runs the seed's host list in worker pods: good hosts completed once, bad ones failed after maxAttempts, then deletes it all", async () => {
    const hosts = Array.from({ length: 100 }, (_, i) =>
      i % 5 === 3 ? `bad-${i}.example` : `host-${i}.example`,
    );
    const file = join(dir, 'hosts.txt');
    writeFileSync(file, `${hosts.join('\n')}\n`);
    // A stand-in for ping that fails for the bad hosts.
    const script = 'echo "try $0"; case "$0" in bad-*) exit 1;; esac; echo "ok $0"';
    const created = teamtask(
      'create',
      'hosts',
      '-n',
      ns.name,
      '--from-file',
      file,
      '--block-size',
      '5',
      '--workers',
      '2',
      '--max-attempts',
      '2',
      '--image',
      'debian:12-slim',
      '--',
      'sh',
      '-c',
      script,
      '{}',
    );
    expect(created.stderr).toBe('');
    expect(created.stdout.split('\n').filter(Boolean)).toEqual([
      'worklist.teamtask.dev/hosts created',
      'configmap/hosts-items created',
      'serviceaccount/teamtask-worker-hosts created',
      'role.rbac.authorization.k8s.io/teamtask-worker-hosts created',
      'rolebinding.rbac.authorization.k8s.io/teamtask-worker-hosts created',
      'job.batch/hosts-workers created',
    ]);
    // The workers exit 0 once the Worklist is finished, so the Job completes.
    await eventually(
      'the Job to complete',
      async () => {
        const j = await batch.readNamespacedJob({ name: 'hosts-workers', namespace: ns.name });
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
          ? true
          : undefined;
      },
      180_000,
      1000,
    );

    // What the commands printed in the pods, read back through `kubectl teamtask logs`.
    const logs = teamtask('logs', 'hosts', '-n', ns.name);
    expect(logs.stderr).toBe('');
    const printed = logs.stdout.split('\n').map((l) => l.replace(/^\[worker-\d\] /, ''));
    const count = (line: string) => printed.filter((l) => l === line).length;
    const good = hosts.filter((h) => h.startsWith('host-'));
    const bad = hosts.filter((h) => h.startsWith('bad-'));
    for (const h of good) expect([h, count(`try ${h}`), count(`ok ${h}`)]).toEqual([h, 1, 1]);
    for (const h of bad) expect([h, count(`try ${h}`), count(`ok ${h}`)]).toEqual([h, 2, 0]);
    const w = await getWorklist('hosts');
    const badOffsets = hosts.flatMap((h, i) => (h.startsWith('bad-') ? [String(i)] : []));
    expect(w.status).toMatchObject({ failed: badOffsets.join(','), completedItems: 80, failedItems: 20 });

    expect(teamtask('delete', 'hosts', '-n', ns.name).stdout).toBe('worklist.teamtask.dev/hosts deleted\n');
    await eventually('everything create made to be collected', async () =>
      kubectl(
        'get',
        'jobs,serviceaccounts,roles,rolebindings,configmaps',
        '-n',
        ns.name,
        '-l',
        'teamtask.dev/worklist=hosts',
        '-o',
        'name',
      ).stdout === ''
        ? true
        : undefined,
    );
  }, 300_000);

  it("refuses a Worklist's workers the Blocks of another Worklist", async () => {
    for (const name of ['alpha', 'beta']) {
      expect(
        teamtask(
          'create',
          name,
          '-n',
          ns.name,
          '--items',
          'x,y',
          '--block-size',
          '1',
          '--image',
          'debian:12-slim',
          '--',
          'true',
        ).status,
      ).toBe(0);
    }
    const asAlpha = ['--as', `system:serviceaccount:${ns.name}:teamtask-worker-alpha`, '-n', ns.name];
    const block = (worklist: string, name: string) =>
      `{"apiVersion":"teamtask.dev/v1alpha1","kind":"Block","metadata":{"name":"${name}"},"spec":{"worklist":"${worklist}"}}`;
    const refused = await eventually('the worker-scope policy to be enforced', async () => {
      const res = kubectlStdin(block('beta', 'sneaky'), 'create', ...asAlpha);
      return res.status === 1 ? res : undefined;
    });
    expect(refused.stderr).toContain(
      'a worker of Worklist alpha may only touch Blocks of that Worklist, not of beta',
    );
    expect(kubectlStdin(block('alpha', 'mine'), 'create', ...asAlpha).status).toBe(0);
    expect(
      kubectl(
        'auth',
        'can-i',
        'patch',
        'blocks.teamtask.dev',
        '--subresource=status',
        ...asAlpha,
      ).stdout.trim(),
    ).toBe('no');
  });

  it('leaves nothing behind when a part is refused', async () => {
    await core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'no-jobs' }, spec: { hard: { 'count/jobs.batch': '0' } } },
    });
    await eventually('quota usage computed', async () =>
      (await core.readNamespacedResourceQuota({ name: 'no-jobs', namespace: ns.name })).status?.used
        ? true
        : undefined,
    );
    const res = teamtask(
      'create',
      'doomed',
      '-n',
      ns.name,
      '--range',
      '1-10',
      '--block-size',
      '5',
      '--image',
      'debian:12-slim',
      '--',
      'true',
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /^error: forbidden: jobs.batch "doomed-workers" is forbidden: exceeded quota: no-jobs/,
    );
    await eventually('the Worklist and what it owned to be gone', async () =>
      kubectl('get', 'worklists,serviceaccounts,roles,rolebindings', '-n', ns.name, '-o', 'name')
        .stdout.split('\n')
        .some((l) => l.includes('doomed'))
        ? undefined
        : true,
    );
    await core.deleteNamespacedResourceQuota({ name: 'no-jobs', namespace: ns.name });
  });
  it('with --dry-run=server, has the API server check every object and creates nothing', () => {
    // The items' ConfigMap must exist: create checks it (the API server's dry run cannot).
    const hosts = kubectl('create', 'configmap', 'hosts-list', '-n', ns.name, '--from-literal=names=a\nb');
    expect(hosts.stderr).toBe('');
    const res = teamtask(
      'create',
      'checked',
      '-n',
      ns.name,
      '--from-configmap',
      'hosts-list/names',
      '--block-size',
      '10',
      '--image',
      'debian:12-slim',
      '--per-block',
      '--dry-run=server',
      '--',
      './run.sh',
    );
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n').filter(Boolean)).toEqual([
      'worklist.teamtask.dev/checked created (server dry run)',
      'serviceaccount/teamtask-worker-checked created (server dry run)',
      'role.rbac.authorization.k8s.io/teamtask-worker-checked created (server dry run)',
      'rolebinding.rbac.authorization.k8s.io/teamtask-worker-checked created (server dry run)',
      'job.batch/checked-workers created (server dry run)',
    ]);
    expect(
      kubectl('get', 'worklists,jobs,serviceaccounts', '-n', ns.name, '-o', 'name').stdout,
    ).not.toContain('checked');
  });

  it('suspends, resumes and scales a Worklist and its Job of running worker pods', async () => {
    const created = teamtask(
      'create',
      'elastic',
      '-n',
      ns.name,
      '--range',
      '1-80',
      '--block-size',
      '2',
      '--workers',
      '2',
      '--image',
      'debian:12-slim',
      // One second an item ($0 is the item: without {} it would be sleep's argument).
      '--',
      'sh',
      '-c',
      'sleep 1',
      '{}',
    );
    expect(created.stderr).toBe('');
    const runningPods = (n: number) => workerPodsRunning(ns.name, 'elastic', n);
    await runningPods(2);

    const suspended = teamtask('suspend', 'elastic', '-n', ns.name);
    expect(suspended.stdout).toBe(
      'worklist.teamtask.dev/elastic suspended\njob.batch/elastic-workers suspended\n',
    );
    await runningPods(0);
    // A worker from elsewhere is told why it waits, and gets nothing.
    const local = new Background([
      'work',
      'elastic',
      '-n',
      ns.name,
      '--block',
      'laptop',
      '--',
      'sh',
      '-c',
      'sleep 1',
      '{}',
    ]);
    // The controller writes its Block's status (the CRD's defaults have no message).
    const told = await eventually('the laptop worker to be told', async () => {
      const s = (await readBlock(ns.name, 'laptop')).status;
      return s?.message ? s : undefined;
    });
    expect(told).toMatchObject({ phase: 'Pending', message: 'the Worklist is suspended' });
    expect((await getWorklist('elastic')).status!.assigned).toEqual([]);
    expect((await getWorklist('elastic')).status!.completedItems).toBeLessThan(80);

    const resumed = teamtask('resume', 'elastic', '-n', ns.name);
    expect(resumed.stdout).toBe('worklist.teamtask.dev/elastic resumed\njob.batch/elastic-workers resumed\n');
    expect(teamtask('scale', 'elastic', '-n', ns.name, '--workers', '4').stdout).toBe(
      'job.batch/elastic-workers scaled to 4 workers\n',
    );
    const job = await batch.readNamespacedJob({ name: 'elastic-workers', namespace: ns.name });
    expect(job.spec).toMatchObject({ parallelism: 4, completions: 4, suspend: false });
    await runningPods(4);

    expect(await local.exited).toBe(0);
    expect((await getWorklist('elastic')).status).toMatchObject({ completedItems: 80, failedItems: 0 });
    expect(teamtask('delete', 'elastic', '-n', ns.name).status).toBe(0);
  }, 300_000);

  it.each([
    {
      name: 'suspend of an unknown Worklist',
      args: ['suspend', 'nope'],
      stderr: /^error: worklist "nope" not found in namespace e2e-create-\w+\nhint: check the name/,
    },
    {
      name: 'scale of a Worklist with no Job',
      args: ['scale', 'bring-your-own', '--workers', '2'],
      stderr:
        /^error: worklist "bring-your-own" has no running Job to scale\nhint: it was created with --workers 0/,
    },
    {
      name: 'create without --image',
      args: ['create', 'noimage', '--range', '1-5', '--block-size', '1', '--', 'true'],
      stderr: /^error: no --image given\nhint: name the image the command runs in/,
    },
    {
      name: 'create from a ConfigMap that does not exist',
      args: ['create', 'x', '--from-configmap', 'nope', '--block-size', '5', '--workers', '0'],
      stderr:
        /^error: ConfigMap nope not found in namespace e2e-create-\w+\nhint: create it first, one item per line: kubectl create configmap nope -n e2e-create-\w+ --from-file=items=FILE\n$/,
    },
    {
      name: 'create with an empty item',
      args: ['create', 'x', '--items', 'a,,b', '--block-size', '1', '--workers', '0'],
      stderr: /^error: --items: item 2 is empty\nhint: remove the extra comma/,
    },
    {
      name: 'create with an item that holds a line break',
      args: ['create', 'x', '--items', 'a\nb,c', '--block-size', '2', '--workers', '0'],
      stderr: /^error: --items: item "a\\nb" holds a line break\nhint: an item is one line/,
    },
  ])('refuses $name with one line, a hint and exit 1', ({ args, stderr }) => {
    if (kubectl('get', 'worklist', 'bring-your-own', '-n', ns.name).status !== 0) {
      const byo = ['bring-your-own', '-n', ns.name, '--range', '1-5', '--block-size', '1', '--workers', '0'];
      expect(teamtask('create', ...byo).stdout).toBe('worklist.teamtask.dev/bring-your-own created\n');
    }
    const res = teamtask(...args, '-n', ns.name);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(stderr);
    expect(kubectl('get', 'worklist', 'x', '-n', ns.name).status).not.toBe(0); // nothing half-made
  });
});
