import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { clusterEnv, REPO_ROOT } from './paths.js';
import { SecondCluster } from './second-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kubeconfig of the cluster under test. */
    kubeconfig: string;
    /** Folder of the locally built binaries (kubectl among them); empty for an external cluster. */
    kcpBin: string;
    /** Folder of the local control plane's component logs; empty for an external cluster. */
    kcpLogs: string;
  }
}

/**
 * Gives the e2e project a cluster: the one $KUBECONFIG names when it is set (kind, or any
 * cluster, which must already have this checkout's image: docs/testing.md), otherwise the local
 * control plane, started here (and built on a cache miss) with this checkout's Teamtask image
 * loaded into its real node, and stopped afterwards if this run started it. No cluster means a
 * loud failure, never a skip.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const cluster = join(REPO_ROOT, 'test', 'cluster');
  const external = process.env.KUBECONFIG;
  let startedHere = false;
  let kubeconfig: string;
  let kcpBin = '';
  let kcpLogs = '';
  if (external) {
    kubeconfig = external;
  } else {
    const env = clusterEnv();
    startedHere = spawnSync('bash', [join(cluster, 'status.sh')]).status !== 0;
    const out = execFileSync('bash', [join(cluster, 'up.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    kubeconfig = out.trim().split('\n').at(-1)!;
    execFileSync('bash', [join(cluster, 'load-teamtask-image.sh')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    kcpBin = env.KCP_BIN;
    kcpLogs = join(env.KCP_STATE, 'logs');
  }
  const probe = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], {
    env: { ...process.env, PATH: [kcpBin, process.env.PATH].filter(Boolean).join(':') },
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    throw new Error(`e2e: the cluster of ${kubeconfig} is not ready: ${probe.stderr || probe.error}`);
  }
  if (external) refuseClusterWithWorklists(kubeconfig);
  project.provide('kubeconfig', kubeconfig);
  project.provide('kcpBin', kcpBin);
  project.provide('kcpLogs', kcpLogs);
  // Asynchronous and quiet: a blocking stop would stall vitest's own shutdown of its workers,
  // and the run's last line must stay the `N passed, N failed` summary.
  return async () => {
    // A second cluster a test file started and could not stop (it crashed): never left running.
    if (!external) await new SecondCluster().down();
    if (startedHere && !process.env.TEAMTASK_KEEP_CLUSTER) {
      await promisify(execFile)('bash', [join(cluster, 'down.sh')]);
    }
  };
}

/**
 * The suite installs and uninstalls Teamtask cluster-wide (uninstall --force deletes every
 * Worklist), so a cluster of someone's own must not hold Worklists outside the suite's namespaces.
 */
function refuseClusterWithWorklists(kubeconfig: string): void {
  const res = spawnSync(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      'get',
      'worklists.teamtask.dev',
      '-A',
      '-o',
      'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}',
    ],
    { encoding: 'utf8' },
  );
  // Only "no such resource" (Teamtask not installed) means none; any other failure is not a yes.
  if (res.status !== 0 && !res.stderr.includes(`doesn't have a resource type`)) {
    throw new Error(`e2e: cannot tell whether ${kubeconfig} holds Worklists: ${res.stderr.trim()}`);
  }
  const foreign = (res.status === 0 ? res.stdout.trim().split(/\s+/).filter(Boolean) : []).filter(
    (n) => !n.startsWith('e2e-'),
  );
  if (foreign.length > 0) {
    throw new Error(
      `e2e: the cluster of ${kubeconfig} holds Worklists (${foreign.slice(0, 3).join(', ')}); ` +
        'the suite uninstalls Teamtask cluster-wide: run it against a disposable cluster',
    );
  }
}
