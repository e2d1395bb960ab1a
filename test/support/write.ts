import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { eventually, kubeConfig } from './kube.js';

/** A JSON merge patch of a Block, as a worker (or a test playing one) writes its report. */
export async function patchBlock(namespace: string, name: string, body: unknown): Promise<void> {
  await kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: 'teamtask.dev', version: 'v1alpha1', plural: 'blocks', namespace, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

/** Waits until a Worklist's Job has exactly `n` worker pods, all Running. */
export function workerPodsRunning(namespace: string, worklist: string, n: number): Promise<true> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  return eventually(`${n} worker pods of ${worklist} to run`, async () => {
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `teamtask.dev/worklist=${worklist}`,
    });
    const running = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    return running.length === n && pods.items.length === n ? true : undefined;
  });
}
