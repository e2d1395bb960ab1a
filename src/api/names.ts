/**
 * Teamtask's well-known names, like batch/v1's well-known labels and annotations: every label,
 * annotation, key, environment variable and object name that more than one part of Teamtask
 * (or a user) relies on is written here once.
 */

/** On every object `create` makes, and on the worker pods: the Worklist they serve. */
export const WORKLIST_LABEL = 'teamtask.dev/worklist';
/** On a Block whose worker runs in a pod: the pod's name (the controller watches it to tell a dead worker). */
export const POD_LABEL = 'teamtask.dev/pod';
/**
 * On a secondary Worklist's Block in its parent's namespace: the secondary, as `namespace/name`.
 * The controller reconciles the secondary when that Block changes, and counts the Block's worker
 * dead once the secondary is gone.
 */
export const SECONDARY_ANNOTATION = 'teamtask.dev/secondary';
/**
 * On the Block of a secondary in another cluster, for people and `status`: the secondary, as
 * `namespace/name` there. The parent's controller cannot look it up, and judges the Block by
 * its lease alone.
 */
export const SECONDARY_ELSEWHERE_ANNOTATION = 'teamtask.dev/secondary-elsewhere';
/** The key of a secondary's kubeconfig Secret (spec.source.worklist.kubeconfigSecret) that holds the kubeconfig. */
export const KUBECONFIG_SECRET_KEY = 'kubeconfig';
/**
 * On a kubeconfig Secret, "true": whoever made it lets Teamtask use it. Without it a Worklist's
 * author could point the controller at any Secret of the namespace, one they may not read, and
 * have it act with that credential (a confused deputy).
 */
export const KUBECONFIG_SECRET_LABEL = 'teamtask.dev/kubeconfig';
/** A secondary Worklist's Block in its parent's namespace (docs/secondary.md). */
export const upstreamBlockName = (namespace: string, name: string) => `${namespace}.${name}`;
/**
 * In a parent's cluster, the identity of a secondary in another cluster (`create
 * --from-worklist CONTEXT/NS/PARENT`): its ServiceAccount, Role, RoleBinding and token Secret
 * in the parent's namespace, all of this name.
 */
export const SECONDARY_ACCOUNT_PREFIX = 'teamtask-secondary-';
export const secondaryAccount = (namespace: string, name: string) =>
  `${SECONDARY_ACCOUNT_PREFIX}${upstreamBlockName(namespace, name)}`;
/** In a secondary's namespace, the kubeconfig Secret `create --from-worklist` makes for a parent elsewhere. */
export const parentKubeconfigSecret = (worklist: string) => `${worklist}-parent`;
/** In a secondary's namespace, the kubeconfig Secret its workers read a parent elsewhere's items through (read-only). */
export const parentItemsKubeconfigSecret = (worklist: string) => `${worklist}-parent-items`;
/**
 * In a parent's namespace, what lets a secondary's workers read the parent: a Role and binding
 * for their ServiceAccount (the same cluster); for a parent elsewhere, an identity of its own
 * (ServiceAccount, Role, binding, token Secret).
 */
export const READER_ACCOUNT_PREFIX = 'teamtask-reader-';
export const parentReaderRole = (namespace: string, name: string) =>
  `${READER_ACCOUNT_PREFIX}${upstreamBlockName(namespace, name)}`;
/** On every object Teamtask makes. */
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const PART_OF_VALUE = 'teamtask';
/** Set by the Job controller on each pod of an Indexed Job. */
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** The ConfigMap key a ConfigMap source reads when it names none (the CRD's default too). */
export const DEFAULT_ITEMS_KEY = 'items';

/** Where `install` puts the controller, its Lease, and the limits ConfigMap. */
export const SYSTEM_NAMESPACE = 'teamtask-system';
/** The controller's Deployment, ServiceAccount, leader-election Lease, and Event source. */
export const CONTROLLER_NAME = 'teamtask-controller';
/** Who the controller's Events are reported by (Event.reportingComponent). */
export const REPORTING_COMPONENT = 'teamtask.dev/controller';
/** Cluster-wide limits an administrator sets (maxBlocksPerWorklist). */
export const LIMITS_CONFIGMAP = 'teamtask-limits';
export const MAX_BLOCKS_KEY = 'maxBlocksPerWorklist';
/** The admission policy that bounds Worklists. */
export const POLICY_NAME = 'teamtask-worklist-limits';

/** The gateway (`kubectl teamtask serve`, docs/gateway.md): its Deployment, Service and ServiceAccount. */
export const GATEWAY_NAME = 'teamtask-gateway';
/** In the system namespace: the gateway's tokens, one data key per token name, only their hashes. */
export const GATEWAY_TOKENS_SECRET = 'teamtask-gateway-tokens';
/** In the system namespace: the gateway's serving certificate (kubernetes.io/tls; `ca.crt` for its clients). */
export const GATEWAY_TLS_SECRET = 'teamtask-gateway-tls';
/** On a Block made through the gateway: the name of the token it was made with (only that token may use it). */
export const GATEWAY_TOKEN_LABEL = 'teamtask.dev/gateway-token';
/** How that label names a Kubernetes identity (src/gateway/kube-auth.ts): no gateway token's name starts so. */
export const KUBE_CALLER_PREFIX = 'k8s-';

/** The objects `create` makes for a Worklist, by its name. */
export const WORKER_ACCOUNT_PREFIX = 'teamtask-worker-';
export const workerServiceAccount = (worklist: string) => `${WORKER_ACCOUNT_PREFIX}${worklist}`;
export const itemsConfigMap = (worklist: string) => `${worklist}-items`;
export const workerJob = (worklist: string) => `${worklist}-workers`;

/** The environment a worker reads, and the one a `--per-block` command gets. */
export const ENV = {
  /** The worker pod's own name (downward API): its Block's label and the pod the controller watches. */
  POD_NAME: 'TEAMTASK_POD_NAME',
  /** For a `--per-block` command: the Worklist, the first offset, the size, the attempt. */
  WORKLIST: 'TEAMTASK_LIST',
  BLOCK_INDEX: 'TEAMTASK_BLOCK_INDEX',
  BLOCK_SIZE: 'TEAMTASK_BLOCK_SIZE',
  ATTEMPT: 'TEAMTASK_ATTEMPT',
} as const;

/** After SIGTERM, how long a worker lets running commands go on before it stops them. */
export const WORKER_GRACE_PERIOD_MS = 20_000;
/** The worker pod's terminationGracePeriodSeconds: the worker's grace, then time to report and give back the rest. */
export const WORKER_POD_GRACE_SECONDS = WORKER_GRACE_PERIOD_MS / 1000 + 10;
/** How a worker in a Job's pod exits when stopped before its Worklist is finished (128 + SIGTERM). */
export const STOPPED_EXIT_CODE = 143;
/** The worker launcher's exit code for an image that lacks what Node needs: the Job fails at once. */
export const MISSING_LIBRARIES_EXIT_CODE = 126;
