import { ApiException, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installObjects } from '../../src/install/manifests.js';
import { freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, range, worklistYaml } from '../support/objects.js';

// install / uninstall as a whole: refusing to lose Worklists, leaving no trace, and installing
// again on a cluster that had Teamtask before.

const objects = KubernetesObjectApi.makeApiClient(kubeConfig());
let ns: Awaited<ReturnType<typeof freshNamespace>>;

const worklist = (name: string) => worklistYaml(name, { source: range(1, 100), blockSize: 10 });

async function present(): Promise<string[]> {
  const found: string[] = [];
  for (const o of installObjects()) {
    try {
      await objects.read(o as never);
      found.push(`${o.kind}/${o.metadata!.name}`);
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
  }
  return found;
}

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  ns = await freshNamespace('e2e-install');
});
afterAll(async () => {
  teamtask('install');
  await ns?.remove();
});

describe('kubectl teamtask uninstall', () => {
  it('refuses while a Worklist exists, and deletes nothing', async () => {
    expect(kubectlStdin(worklist('keep-me'), 'create', '-n', ns.name).status).toBe(0);
    const res = teamtask('uninstall');
    expect(res.status).toBe(1);
    // Other test files' and the demo's Worklists may exist too: the count must be right.
    const [error, hint] = res.stderr.split('\n');
    const all = kubectl('get', 'worklists', '-A', '-o', 'name').stdout.trim().split('\n');
    expect(error).toMatch(new RegExp(`^error: ${all.length} Worklist\\(s\\) still exist: `));
    if (all.length <= 5) expect(error).toContain(`${ns.name}/keep-me`);
    expect(hint).toBe(
      'hint: delete them first (kubectl delete worklists --all -A), or pass --force to delete them with everything',
    );
    expect(await present()).toHaveLength(installObjects().length);
  });

  it('with --force removes everything, even a Block held by a finalizer, leaving no trace', async () => {
    const block = blockYaml('held', 'keep-me', { finalizers: ['teamtask.dev/fold-into-worklist'] });
    expect(kubectlStdin(block, 'create', '-n', ns.name).status).toBe(0);
    const res = teamtask('uninstall', '--force');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/worklists.teamtask.dev deleted',
    );
    expect(await present()).toEqual([]);
    const leftovers = kubectl(
      'get',
      'clusterroles,clusterrolebindings,validatingadmissionpolicies',
      '-l',
      'app.kubernetes.io/part-of=teamtask',
      '-o',
      'name',
    );
    expect(leftovers.stdout).toBe('');
  });

  it('says so when there is nothing to remove', () => {
    const res = teamtask('uninstall');
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('Teamtask was not installed.\n');
  });

  // install returns only once the policy is enforced, so this needs no waiting.
  it('leaves a cluster where install works again, admission policy included', () => {
    expect(teamtask('install').status).toBe(0);
    const ok = kubectlStdin(worklist('again'), 'create', '-n', ns.name);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const huge = kubectlStdin(
      worklistYaml('huge', { source: range(1, 10_000_000), blockSize: 1 }),
      'create',
      '-n',
      ns.name,
    );
    expect(huge.status).toBe(1);
    expect(huge.stderr).toContain('more than the cluster allows');
  });
});
