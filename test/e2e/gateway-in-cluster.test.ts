import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  freshNamespace,
  kubeConfig,
  kubectl,
  kubectlStdin,
  teamtask,
  testEnv,
} from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { fileLines, readWorklist } from '../support/read.js';
import { Background } from '../support/processes.js';

// The gateway as `install --gateway` runs it: its Deployment from the Teamtask image on the real
// node, behind its Service, with its least-privilege RBAC and a self-signed certificate made at
// install. Workers on this machine with no kubeconfig reach it through the Service's ClusterIP.

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const dir = mkdtempSync(join(tmpdir(), 'teamtask-gateway-pod-'));
const caFile = join(dir, 'gateway.crt');
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let server: string;
/** Tokens are the cluster's: this run's is its own. */
const tokenName = `pod-runtime-${Math.random().toString(36).slice(2, 7)}`;

const gatewayPods = async () =>
  (
    await core.listNamespacedPod({
      namespace: 'teamtask-system',
      labelSelector: 'app.kubernetes.io/name=teamtask-gateway',
    })
  ).items.filter((p) => !p.metadata?.deletionTimestamp);

function noCredentials(): NodeJS.ProcessEnv {
  const { KUBECONFIG: _k, ...env } = testEnv();
  return { ...env, HOME: mkdtempSync(join(dir, 'home-')) };
}

beforeAll(async () => {
  const installed = teamtask('install', '--gateway');
  expect(installed.stderr).toBe('');
  expect(installed.status).toBe(0);
  expect(installed.stdout).toContain('the gateway serves');
  ns = await freshNamespace('e2e-gateway-pod');
  const svc = await core.readNamespacedService({ name: 'teamtask-gateway', namespace: 'teamtask-system' });
  server = `https://${svc.spec!.clusterIP}`;
  const secret = await core.readNamespacedSecret({
    name: 'teamtask-gateway-tls',
    namespace: 'teamtask-system',
  });
  writeFileSync(caFile, Buffer.from(secret.data!['ca.crt']!, 'base64'));
}, 240_000);
afterAll(async () => {
  teamtask('token', 'revoke', tokenName);
  // The other test files' real-node pods get its room back; install --gateway makes it again.
  kubectl('delete', 'deployment', 'teamtask-gateway', '-n', 'teamtask-system', '--wait=false');
  await ns?.remove();
});

describe('the gateway in real pods on the real node', () => {
  it('runs as its Deployment: two non-root replicas with a read-only root, ready behind its Service', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'teamtask-gateway', namespace: 'teamtask-system' });
    expect(d.status?.availableReplicas).toBe(2);
    const pods = await gatewayPods();
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe('teamtask-node');
      expect(p.spec?.securityContext?.runAsNonRoot).toBe(true);
      expect(p.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(p.status?.containerStatuses?.[0]?.ready).toBe(true);
    }
  });

  it('may read its tokens and work through Blocks, and nothing more', () => {
    const can = (...args: string[]) =>
      kubectl(
        'auth',
        'can-i',
        ...args,
        '--as',
        'system:serviceaccount:teamtask-system:teamtask-gateway',
      ).stdout.trim();
    expect(can('get', 'secret/teamtask-gateway-tokens', '-n', 'teamtask-system')).toBe('yes');
    expect(can('get', 'secret/teamtask-gateway-tls', '-n', 'teamtask-system')).toBe('no');
    expect(can('list', 'secrets', '-n', 'teamtask-system')).toBe('no');
    expect(can('get', 'secrets', '-n', ns.name)).toBe('no');
    expect(can('create', 'blocks.teamtask.dev', '-n', ns.name)).toBe('yes');
    expect(can('patch', 'blocks.teamtask.dev', '--subresource', 'status', '-n', ns.name)).toBe('no');
    expect(can('patch', 'worklists.teamtask.dev', '--subresource', 'status', '-n', ns.name)).toBe('no');
    expect(can('update', 'worklists.teamtask.dev', '-n', ns.name)).toBe('no');
  });

  it('lets a worker with no kubeconfig finish a Worklist, each item once, while a gateway pod is deleted', async () => {
    const res = kubectlStdin(
      worklistYaml('pods', { source: range(0, 99), blockSize: 5 }),
      'create',
      '-n',
      ns.name,
    );
    expect(res.stderr).toBe('');
    const made = teamtask(
      'token',
      'create',
      'pod-runtime',
      '-n',
      ns.name,
      '--worklist',
      'pods',
      '-o',
      'json',
    );
    expect(made.stderr).toBe('');
    const token = (JSON.parse(made.stdout) as { token: string }).token;
    const out = join(dir, 'pods');
    const worker = new Background(
      [
        'work',
        'pods',
        '-n',
        ns.name,
        '--server',
        server,
        '--token',
        token,
        '--certificate-authority',
        caFile,
        '--jobs',
        '2',
        '--',
        'sh',
        '-c',
        `sleep 0.1; echo "$0" >> ${out}`,
        '{}',
      ],
      noCredentials(),
    );
    await eventually('some items to be done', async () => (fileLines(out).length >= 10 ? true : undefined));
    const [victim] = await gatewayPods();
    await core.deleteNamespacedPod({
      name: victim!.metadata!.name!,
      namespace: 'teamtask-system',
      gracePeriodSeconds: 0,
    });
    expect(await worker.exited).toBe(0);
    expect(
      fileLines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const w = await readWorklist(ns.name, 'pods');
    expect(w.status).toMatchObject({ completed: '0-99', completedItems: 100, failedItems: 0 });
  });
});
