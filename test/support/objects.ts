import { stringify } from 'yaml';

/** A Worklist manifest, as YAML. */
export const worklistYaml = (name: string, spec: unknown) =>
  stringify(
    { apiVersion: 'teamtask.dev/v1alpha1', kind: 'Worklist', metadata: { name }, spec },
    { version: '1.1' },
  );

/** A Block manifest, as YAML; `metadata` is merged over the name. */
export const blockYaml = (name: string, worklist: string, metadata: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name, ...metadata },
    spec: { worklist, worker: 'pod-0' },
  });

export const range = (start: unknown, end: unknown) => ({ range: { start, end } });

/**
 * What puts a pod on a kwok node of the local control plane (test/cluster/up.sh taints them):
 * pods that only need to exist and run, by stages, without a container (scale, benchmarks).
 */
export const onKwokNode = {
  nodeSelector: { type: 'kwok' },
  tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Equal', value: 'fake', effect: 'NoSchedule' }],
};
