import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, freshNamespace, kubeConfig, kubectl } from '../support/kube.js';
import { clusterEnv, REPO_ROOT } from '../support/paths.js';

// Proves that the cluster under test is a real one: the Job controller (its pods in real
// containers), quota admission, RBAC, the garbage collector and kubectl's plugin discovery all
// behave as in production; and that the local one leaves the host as it found it.

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
let ns: Awaited<ReturnType<typeof freshNamespace>>;

beforeAll(async () => {
  ns = await freshNamespace('e2e-cluster');
});
afterAll(async () => {
  await ns?.remove();
});

const pod = (name: string): V1Pod => ({
  metadata: { name },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'debian:12-slim',
        command: ['true'],
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '10m', memory: '16Mi' } },
      },
    ],
  },
});

/** A loopback port nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function apiError(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return err;
    throw err;
  }
  throw new Error('the API server accepted a request it should have refused');
}

describe('a real control plane', () => {
  it('runs an Indexed Job with 3 completions to Complete', async () => {
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'indexed' },
        spec: {
          completionMode: 'Indexed',
          completions: 3,
          parallelism: 3,
          backoffLimit: 0,
          template: { spec: pod('unused').spec },
        },
      },
    });
    const job = await eventually('job/indexed Complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'indexed', namespace: ns.name });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(3);
    expect(job.status?.completedIndexes).toBe('0-2');
  });

  it('refuses a pod beyond a ResourceQuota', async () => {
    await core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'one-pod' }, spec: { hard: { pods: '1' } } },
    });
    // Quota admission enforces only once the quota controller has computed usage.
    await eventually('quota usage computed', async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'one-pod', namespace: ns.name });
      return q.status?.used ? q : undefined;
    });
    await core.createNamespacedPod({ namespace: ns.name, body: pod('first') });
    const err = await apiError(core.createNamespacedPod({ namespace: ns.name, body: pod('second') }));
    expect(err.code).toBe(403);
    expect(String(err.body)).toContain('exceeded quota: one-pod');
  });

  it('denies a ServiceAccount that has no Role', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'nobody' } } });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'nobody',
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asNobody = new KubeConfig();
    asNobody.loadFromOptions({
      clusters: [{ ...kc.getCurrentCluster()!, name: 'c' }],
      users: [{ name: 'nobody', token: token.status!.token }],
      contexts: [{ name: 'nobody', cluster: 'c', user: 'nobody' }],
      currentContext: 'nobody',
    });
    const err = await apiError(asNobody.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns.name }));
    expect(err.code).toBe(403);
    expect(String(err.body)).toContain(`system:serviceaccount:${ns.name}:nobody`);
  });

  it('garbage-collects an object whose owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
    await eventually('the dependent ConfigMap to be collected', async () => {
      const err = await apiError(core.readNamespacedConfigMap({ name: 'dependent', namespace: ns.name }));
      return err.code === 404 ? true : undefined;
    });
  });
});

describe('kubectl plugin discovery', () => {
  it('lists kubectl-teamtask among the plugins', () => {
    const res = kubectl('plugin', 'list');
    expect(res.stdout).toMatch(/\/bin\/kubectl-teamtask$/m);
  });

  it('runs `kubectl teamtask version` and prints the server version', async () => {
    const server = await kc.makeApiClient(VersionApi).getCode();
    const res = kubectl('teamtask', 'version');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+$/m);
    expect(res.stdout).toContain(`Server Version: ${server.gitVersion}`);
  });

  it('fails `version` with one line and a hint when the kubeconfig does not exist', () => {
    const res = kubectl('teamtask', 'version', '--kubeconfig', '/nonexistent/kubeconfig');
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(
      'error: kubeconfig /nonexistent/kubeconfig does not exist\nhint: pass the path of a kubeconfig file\n',
    );
  });

  it('fails `version` with one line and a hint when the cluster is unreachable', async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'teamtask-e2e-'));
    const unreachable = join(dir, 'kubeconfig');
    const cluster = kc.getCurrentCluster()!;
    // The same cluster entry with the port moved to one nothing listens on.
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
      users: [kc.getCurrentUser()!],
      contexts: [{ name: 'closed', cluster: cluster.name, user: kc.getCurrentUser()!.name }],
      currentContext: 'closed',
    });
    writeFileSync(unreachable, copy.exportConfig());
    const res = kubectl('teamtask', 'version', '--kubeconfig', unreachable);
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/^Client Version: v/);
    expect(res.stderr).toBe(
      `error: cannot reach the cluster at https://127.0.0.1:${port} (ECONNREFUSED)\n` +
        'hint: check --kubeconfig and --context; for a local control plane run: npm run cluster:up\n',
    );
  });
});

// Last in this file: it stops and restarts the local control plane (the next files install again).
describe.runIf(inject('kcpBin'))('the local control plane with a real node', () => {
  it('stops with the host as it was before the node started, and starts again', async () => {
    // The restarted cluster has new credentials: clean up while the old ones work.
    await ns.remove();
    ns = undefined as never;
    const env = clusterEnv();
    const saved = join(env.KCP_STATE, 'host', 'before.txt');
    const before = readFileSync(saved, 'utf8');
    const script = (name: string) =>
      spawnSync('bash', [join(REPO_ROOT, 'test', 'cluster', name)], { encoding: 'utf8' });
    // What the node changed while it ran is visible: the bridge, iptables rules, pod mounts.
    expect(script('host-state.sh').stdout).not.toBe(before);

    const down = script('down.sh');
    expect(down.status).toBe(0);
    expect(script('host-state.sh').stdout).toBe(before);
    expect(existsSync(saved)).toBe(false);

    const up = script('up.sh');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout.trim().split('\n').at(-1)).toBe(inject('kubeconfig'));
    expect(
      kubectl(
        'get',
        'node',
        'teamtask-node',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ).stdout,
    ).toBe('True');
  }, 240_000);
});
