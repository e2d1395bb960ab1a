import type {
  KubernetesObject,
  V1ConfigMap,
  V1Job,
  V1OwnerReference,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { API_VERSION, GROUP, type Worklist, type WorklistSpec } from '../api/v1alpha1/index.js';
import { DEFAULT_IMAGE } from '../api/image.js';
import {
  DEFAULT_ITEMS_KEY,
  ENV,
  itemsConfigMap,
  KUBECONFIG_SECRET_KEY,
  KUBECONFIG_SECRET_LABEL,
  MISSING_LIBRARIES_EXIT_CODE,
  PART_OF_LABEL,
  PART_OF_VALUE,
  STOPPED_EXIT_CODE,
  WORKER_POD_GRACE_SECONDS,
  workerJob,
  workerServiceAccount,
  WORKLIST_LABEL,
} from '../api/names.js';

export interface CreateOptions {
  name: string;
  namespace: string;
  /** The Worklist's source; for --from-file, the items ConfigMap (parseSource). */
  source: WorklistSpec['source'];
  blockSize: number;
  maxAttempts?: number;
  workers: number;
  /** The user's image: the workers' command runs in it (unused with no workers). */
  image: string;
  /** The Teamtask image the worker runtime is copied from. */
  runtimeImage?: string;
  command: string[];
  jobs: number;
  /** Run the command once per block, items on stdin (`work --per-block`). */
  perBlock?: boolean;
  /** Annotations for the worker pods (a service mesh's, an autoscaler's). */
  podAnnotations?: Record<string, string>;
  /** Lines of a --from-file source, stored in the ConfigMap its source names (itemsConfigMap, key items). */
  fileItems?: string[];
  cpu?: string;
  memory?: string;
  /** Run the workers as this existing ServiceAccount instead of one made for the Worklist. */
  serviceAccount?: string;
  /**
   * A parent in another cluster: the kubeconfig that reaches it, kept in the Secret that
   * spec.source.worklist.kubeconfigSecret names.
   */
  parentKubeconfig?: string;
  /** The kubeconfig the workers read the parent's items through (spec.source.worklist.itemsKubeconfigSecret). */
  itemsKubeconfig?: string;
}

/** Where the runtime lands in the worker pod: the image's /app (the CLI and its Node), copied by an init container. */
const RUNTIME_DIR = '/teamtask';
/**
 * The worker container's command before `work`: a static launcher that checks the user's image has
 * the libraries the copied Node needs (runtime/launcher), then Node and the CLI.
 */
export const WORKER_RUNTIME = [
  `${RUNTIME_DIR}/app/bin/teamtask-launch`,
  `${RUNTIME_DIR}/app/node/bin/node`,
  `${RUNTIME_DIR}/app/bin/run.js`,
];

export function worklistObject(o: CreateOptions): Worklist {
  return {
    apiVersion: API_VERSION,
    kind: 'Worklist',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      source: o.source,
      blockSize: o.blockSize,
      ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
    },
  };
}

/**
 * What `kubectl teamtask create` makes besides the Worklist, each owned by it (deleting the
 * Worklist removes them): the items ConfigMap (for --from-file), the workers' ServiceAccount,
 * Role and RoleBinding, and the Indexed Job whose pods run `kubectl teamtask work` (none of
 * these three with zero workers: the Worklist is then worked on from elsewhere).
 */
export function ownedObjects(o: CreateOptions, owner: { uid: string }): KubernetesObject[] {
  const ownerReferences: V1OwnerReference[] = [
    {
      apiVersion: API_VERSION,
      kind: 'Worklist',
      name: o.name,
      uid: owner.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  const meta = (name: string) => ({
    name,
    namespace: o.namespace,
    labels: { [PART_OF_LABEL]: PART_OF_VALUE, [WORKLIST_LABEL]: o.name },
    ownerReferences,
  });
  const objects: KubernetesObject[] = [];
  const kubeconfigSecret = (name: string | undefined, kubeconfig: string | undefined) => {
    if (!name || kubeconfig === undefined) return;
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...meta(name), labels: { ...meta(name).labels, [KUBECONFIG_SECRET_LABEL]: 'true' } },
      data: { [KUBECONFIG_SECRET_KEY]: Buffer.from(kubeconfig).toString('base64') },
    };
    objects.push(secret);
  };
  kubeconfigSecret(o.source.worklist?.kubeconfigSecret, o.parentKubeconfig);
  kubeconfigSecret(o.source.worklist?.itemsKubeconfigSecret, o.itemsKubeconfig);
  // What the workers read a parent elsewhere through: never the credential that writes upward
  // when a read-only one is there.
  const secret = o.source.worklist?.itemsKubeconfigSecret ?? o.source.worklist?.kubeconfigSecret;
  if (o.fileItems) {
    const cm: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(itemsConfigMap(o.name)),
      data: { [DEFAULT_ITEMS_KEY]: `${o.fileItems.join('\n')}\n` },
    };
    objects.push(cm);
  }
  // No worker pods: the workers run elsewhere, with their own credentials.
  if (o.workers === 0) return objects;
  const sa = o.serviceAccount ?? workerServiceAccount(o.name);
  const itemsSource = o.source.configMap?.name;
  if (!o.serviceAccount) {
    const account: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(sa) };
    const role: V1Role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(sa),
      rules: [
        // Its own Worklist only: the spec says what the items are.
        { apiGroups: [GROUP], resources: ['worklists'], resourceNames: [o.name], verbs: ['get'] },
        // Blocks: a worker makes, reads, reports on and removes its own. Never blocks/status:
        // no worker can assign itself a range. (Which Worklist a Block may name is checked by
        // the admission policy teamtask-worker-scope.)
        { apiGroups: [GROUP], resources: ['blocks'], verbs: ['create', 'get', 'patch', 'delete'] },
        ...(itemsSource
          ? [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [itemsSource], verbs: ['get'] }]
          : []),
        // A parent in another cluster: the kubeconfig that reaches it, to read its items there.
        ...(secret
          ? [{ apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get'] }]
          : []),
      ],
    };
    const binding: V1RoleBinding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(sa),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: o.namespace }],
    };
    objects.push(account, role, binding);
  }
  const resources =
    o.cpu || o.memory
      ? {
          requests: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) },
          limits: { ...(o.memory ? { memory: o.memory } : {}) },
        }
      : undefined;
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(workerJob(o.name)),
    spec: {
      completionMode: 'Indexed',
      completions: o.workers,
      parallelism: o.workers,
      // A worker pod that fails is replaced (per index); its Block's range goes back meanwhile.
      backoffLimitPerIndex: 3,
      // A worker stopped on purpose (Job suspended, pod evicted or preempted) costs its index no
      // retry: exit 0 would complete the index for good, so it exits 143, ignored here.
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          {
            action: 'Ignore',
            onExitCodes: { containerName: 'worker', operator: 'In', values: [STOPPED_EXIT_CODE] },
          },
          // The image cannot run the worker runtime: no retry can help, the pod says why.
          {
            action: 'FailJob',
            onExitCodes: { containerName: 'worker', operator: 'In', values: [MISSING_LIBRARIES_EXIT_CODE] },
          },
        ],
      },
      template: {
        metadata: {
          labels: { [WORKLIST_LABEL]: o.name },
          ...(o.podAnnotations && Object.keys(o.podAnnotations).length
            ? { annotations: o.podAnnotations }
            : {}),
        },
        spec: {
          serviceAccountName: sa,
          restartPolicy: 'Never',
          // The worker's own grace period plus time to report and give back the rest.
          terminationGracePeriodSeconds: WORKER_POD_GRACE_SECONDS,
          volumes: [{ name: 'teamtask', emptyDir: {} }],
          initContainers: [
            {
              // The worker runtime (Node and the CLI) into a shared volume, so the user's image
              // needs neither; Tekton and Argo inject their entrypoints the same way.
              name: 'teamtask-runtime',
              image: o.runtimeImage ?? DEFAULT_IMAGE,
              command: ['cp', '-a', '/app', `${RUNTIME_DIR}/app`],
              volumeMounts: [{ name: 'teamtask', mountPath: RUNTIME_DIR }],
            },
          ],
          containers: [
            {
              name: 'worker',
              image: o.image,
              command: [
                ...WORKER_RUNTIME,
                'work',
                o.name,
                ...(o.perBlock ? ['--per-block'] : ['--jobs', String(o.jobs)]),
                '--',
                ...o.command,
              ],
              env: [{ name: ENV.POD_NAME, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              volumeMounts: [{ name: 'teamtask', mountPath: RUNTIME_DIR, readOnly: true }],
              // The launcher's or the worker's last words show in the pod's status.
              terminationMessagePolicy: 'FallbackToLogsOnError',
              ...(resources ? { resources } : {}),
            },
          ],
        },
      },
    },
  };
  objects.push(job);
  return objects;
}
