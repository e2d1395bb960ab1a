import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** KCP_BIN, KCP_STATE, KCP_KUBECONFIG and K8S_VERSION of the local control plane (test/cluster/env.sh). */
export function clusterEnv(): Record<'KCP_BIN' | 'KCP_STATE' | 'KCP_KUBECONFIG' | 'K8S_VERSION', string> {
  const out = execFileSync('bash', [join(REPO_ROOT, 'test', 'cluster', 'env.sh')], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  ) as never;
}
