import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { PooledKubeConfig } from '../../src/kube/pooled-kubeconfig.js';
import { REPO_ROOT } from './paths.js';

/** A KubeConfig for the cluster under test (admin credentials). */
export function kubeConfig(): KubeConfig {
  const kc = new PooledKubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/**
 * The environment of a user's shell pointed at the cluster under test. `pluginBin` replaces the
 * project's bin/ as the folder kubectl finds kubectl-teamtask in.
 */
export function testEnv(pluginBin = join(REPO_ROOT, 'bin')): NodeJS.ProcessEnv {
  const path = [pluginBin, inject('kcpBin'), process.env.PATH].filter(Boolean).join(':');
  return { ...process.env, KUBECONFIG: inject('kubeconfig'), PATH: path };
}

/** Runs a command the way a user would in a shell pointed at the cluster under test. */
export function run(command: string, args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    input,
    env: testEnv(),
    encoding: 'utf8',
    // Above install's and uninstall's own 120 s waits, so their timeout messages are what fails.
    timeout: 180_000,
  });
}

export const kubectl = (...args: string[]) => run('kubectl', args);

/** `kubectl teamtask <args>`, found by kubectl on PATH as a user's shell would. */
export const teamtask = (...args: string[]) => run('kubectl', ['teamtask', ...args]);

/** `kubectl <args> -f -` with the given manifest on stdin. */
export const kubectlStdin = (manifest: string, ...args: string[]) =>
  run('kubectl', [...args, '-f', '-'], manifest);

/**
 * `kubectl` as another identity: every command runs with `--kubeconfig config -n namespace`; with
 * `input`, as `kubectlStdin` (`-f -`, the manifest on stdin).
 */
export const kubectlAs =
  (config: string, namespace: string) =>
  (input: string | undefined, ...args: string[]) =>
    input === undefined
      ? kubectl('--kubeconfig', config, '-n', namespace, ...args)
      : kubectlStdin(input, '--kubeconfig', config, '-n', namespace, ...args);

/**
 * Polls every `everyMs` until `check` returns a value other than undefined; fails with `what`
 * after `timeoutMs`.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Creates a namespace with a unique name and waits for its `default` ServiceAccount (pods are
 * refused until the ServiceAccount controller made it). Returns its name and a cleanup.
 */
export async function freshNamespace(prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'teamtask.dev/e2e': 'true' } } } });
  await eventually(`serviceaccount default in ${name}`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );
  return { name, remove: async () => void (await core.deleteNamespace({ name })) };
}

/**
 * A kubeconfig file that authenticates as a ServiceAccount (a token), as a pod would; with `pod`,
 * the token is bound to that pod, as the kubelet's are (the API server then names the pod in the
 * user's extra).
 */
export async function kubeconfigFor(
  namespace: string,
  sa: string,
  dir: string,
  pod?: { name: string; uid: string },
): Promise<string> {
  const kc = kubeConfig();
  const token = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: sa,
    namespace,
    body: {
      spec: { audiences: [], ...(pod ? { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', ...pod } } : {}) },
    },
  });
  const as = new KubeConfig();
  as.loadFromOptions({
    clusters: [{ ...kc.getCurrentCluster()!, name: 'c' }],
    users: [{ name: sa, token: token.status!.token }],
    contexts: [{ name: sa, cluster: 'c', user: sa, namespace }],
    currentContext: sa,
  });
  const path = join(dir, `${namespace}-${sa}${pod ? `-${pod.name}` : ''}.kubeconfig`);
  writeFileSync(path, as.exportConfig());
  return path;
}
