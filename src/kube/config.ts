import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { HintedError } from './errors.js';
import { PooledKubeConfig } from './pooled-kubeconfig.js';

/** How the user pointed at a cluster, the way kubectl resolves it. */
export interface KubeTarget {
  /** A single kubeconfig file; otherwise $KUBECONFIG (a path list), then ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface ResolvedKube {
  kc: KubeConfig;
  /** -n, else the context's namespace, else `default` (kubectl passes none to a plugin). */
  namespace: string;
  server: string;
}

/**
 * Loads a KubeConfig like kubectl: --kubeconfig > $KUBECONFIG > ~/.kube/config > in-cluster.
 * Throws a KubeConfigError with a hint when nothing usable is found.
 */
export function loadKube(target: KubeTarget = {}): ResolvedKube {
  const kc = new PooledKubeConfig();
  const files = target.kubeconfig
    ? [target.kubeconfig]
    : process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(':').filter(Boolean)
      : [join(homedir(), '.kube', 'config')]; // an empty KUBECONFIG counts as unset, as in kubectl
  const present = files.filter((f) => existsSync(f));
  if (target.kubeconfig && present.length === 0) {
    throw new KubeConfigError(
      `kubeconfig ${target.kubeconfig} does not exist`,
      'pass the path of a kubeconfig file',
    );
  }
  if (target.kubeconfig) {
    kc.loadFromFile(target.kubeconfig);
  } else if (present.length === 1) {
    kc.loadFromFile(present[0]!); // kubectl skips the missing files of a KUBECONFIG list
  } else if (present.length > 1) {
    kc.loadFromDefault(); // merges the KUBECONFIG list
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    // client-node would fall back to http://localhost:8080, which only confuses.
    throw new KubeConfigError(
      `no kubeconfig found (${files.join(':')}) and not running in a cluster`,
      'set KUBECONFIG or pass --kubeconfig; for a local control plane run: npm run cluster:up',
    );
  }
  if (target.context) {
    if (!kc.getContextObject(target.context)) {
      throw new KubeConfigError(
        `context "${target.context}" not found in the kubeconfig`,
        `list contexts with: kubectl config get-contexts`,
      );
    }
    kc.setCurrentContext(target.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(
      'no cluster configured',
      'set KUBECONFIG or pass --kubeconfig; for a local control plane run: npm run cluster:up',
    );
  }
  const namespace = target.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return { kc, namespace, server: cluster.server };
}

/** The kubeconfig does not lead to a cluster. */
export class KubeConfigError extends HintedError {}
