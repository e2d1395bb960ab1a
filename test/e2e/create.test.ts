import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { readWorklist, fileLines } from '../support/read.js';
import { Background, startController } from '../support/processes.js';

// `kubectl teamtask create` as a user runs it: the Worklist, the workers' identity and the
// Indexed Job, all owned by the Worklist. kwok runs the Job's pods (no containers), so the test
// runs the workers as local processes with the credentials the Job's pods would have.

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const dir = mkdtempSync(join(tmpdir(), 'teamtask-create-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

const getWorklist = (name: string) => readWorklist(ns.name, name);

/** A kubeconfig that authenticates as the given ServiceAccount, as a pod of the Job would. */
async function kubeconfigAs(sa: string): Promise<string> {
  const token = await core.createNamespacedServiceAccountToken({
    name: sa,
    namespace: ns.name,
    body: { spec: { audiences: [] } },
  });
  const as = new KubeConfig();
  as.loadFromOptions({
    clusters: [{ ...kc.getCurrentCluster()!, name: 'c' }],
    users: [{ name: sa, token: token.status!.token }],
    contexts: [{ name: sa, cluster: 'c', user: sa, namespace: ns.name }],
    currentContext: sa,
  });
  const path = join(dir, `${sa}.kubeconfig`);
  writeFileSync(path, as.exportConfig());
  return path;
}

const lines = fileLines;

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
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
        '/teamtask/node',
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

  it("runs the seed's host list: good hosts completed once, bad ones failed after maxAttempts, then deletes it all", async () => {
    const hosts = Array.from({ length: 20 }, (_, i) =>
      i % 5 === 3 ? `bad-${i}.example` : `host-${i}.example`,
    );
    const file = join(dir, 'hosts.txt');
    writeFileSync(file, `${hosts.join('\n')}\n`);
    const created = teamtask(
      'create',
      'hosts',
      '-n',
      ns.name,
      '--from-file',
      file,
      '--block-size',
      '3',
      '--workers',
      '2',
      '--max-attempts',
      '2',
      '--image',
      'busybox:1.36',
      '--',
      'ping',
      '-c1',
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
    // kwok runs the Job's pods to completion (no containers run there).
    await eventually('the Job to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'hosts-workers', namespace: ns.name });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
        ? true
        : undefined;
    });

    // The workers, with the Job's identity: a stand-in for ping that fails for the bad hosts.
    const kubeconfig = await kubeconfigAs('teamtask-worker-hosts');
    const ok = join(dir, 'ok.log');
    const tries = join(dir, 'tries.log');
    const script = `echo "$0" >> ${tries}; case "$0" in bad-*) exit 1;; esac; echo "$0" >> ${ok}`;
    const workers = [1, 2].map(
      () => new Background(['work', 'hosts', '--kubeconfig', kubeconfig, '--', 'sh', '-c', script, '{}']),
    );
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);

    const good = hosts.filter((h) => h.startsWith('host-'));
    const bad = hosts.filter((h) => h.startsWith('bad-'));
    expect(lines(ok).sort()).toEqual([...good].sort());
    const triesOf = (h: string) => lines(tries).filter((l) => l === h).length;
    for (const h of good) expect(triesOf(h)).toBe(1);
    for (const h of bad) expect(triesOf(h)).toBe(2);
    const w = await getWorklist('hosts');
    expect(w.status).toMatchObject({ failed: '3,8,13,18', completedItems: 16, failedItems: 4 });

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
  });

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
          'busybox:1.36',
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
      'busybox:1.36',
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
  });
});
