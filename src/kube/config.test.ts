import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeConfigError, loadKube } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'teamtask-config-'));
const file = join(dir, 'config');
writeFileSync(
  file,
  `apiVersion: v1
kind: Config
clusters:
- {name: a, cluster: {server: "https://a.example:6443"}}
- {name: b, cluster: {server: "https://b.example:6443"}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: ctx-a, context: {cluster: a, user: u, namespace: team-a}}
- {name: ctx-b, context: {cluster: b, user: u}}
current-context: ctx-a
`,
);

describe('loadKube', () => {
  beforeEach(() => {
    vi.stubEnv('KUBECONFIG', file);
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('uses the current context and its namespace from $KUBECONFIG', () => {
    const k = loadKube();
    expect(k.server).toBe('https://a.example:6443');
    expect(k.namespace).toBe('team-a');
  });

  it('lets --context choose another cluster, whose namespace defaults to `default`', () => {
    const k = loadKube({ context: 'ctx-b' });
    expect(k.server).toBe('https://b.example:6443');
    expect(k.namespace).toBe('default');
  });

  it('lets -n override the context namespace', () => {
    expect(loadKube({ namespace: 'mine' }).namespace).toBe('mine');
  });

  it('prefers --kubeconfig over $KUBECONFIG', () => {
    vi.stubEnv('KUBECONFIG', join(dir, 'absent'));
    expect(loadKube({ kubeconfig: file }).server).toBe('https://a.example:6443');
  });

  it.each([
    {
      name: 'an unknown context',
      target: { context: 'nope' },
      message: 'context "nope" not found in the kubeconfig',
    },
    {
      name: 'a --kubeconfig that does not exist',
      target: { kubeconfig: join(dir, 'absent') },
      message: `kubeconfig ${join(dir, 'absent')} does not exist`,
    },
  ])('refuses $name with a KubeConfigError', ({ target, message }) => {
    expect(() => loadKube(target)).toThrow(KubeConfigError);
    expect(() => loadKube(target)).toThrow(message);
  });

  it('treats an empty KUBECONFIG as unset, like kubectl', () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', dir); // no .kube/config there
    expect(() => loadKube()).toThrow(`no kubeconfig found (${join(dir, '.kube', 'config')})`);
  });

  it('skips the missing files of a KUBECONFIG list', () => {
    vi.stubEnv('KUBECONFIG', `${file}:${join(dir, 'absent')}`);
    expect(loadKube().server).toBe('https://a.example:6443');
  });

  it('refuses to guess a cluster when no kubeconfig exists and not in a pod', () => {
    vi.stubEnv('KUBECONFIG', join(dir, 'absent'));
    expect(() => loadKube()).toThrow(/no kubeconfig found .* and not running in a cluster/);
  });
});
