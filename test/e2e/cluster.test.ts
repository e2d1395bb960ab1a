import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshNamespace, kubeConfig, kubectl } from '../support/kube.js';

// Proves that the cluster under test is a real one: the Job controller, quota admission, RBAC,
// the garbage collector and kubectl's plugin discovery all behave as in production.

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
        image: 'busybox:1.36',
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
