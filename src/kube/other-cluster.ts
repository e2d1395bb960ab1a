import { CoreV1Api, KubeConfig, type RequestContext, type V1Secret } from '@kubernetes/client-node';
import { KUBECONFIG_SECRET_KEY, KUBECONFIG_SECRET_LABEL } from '../api/names.js';
import { HintedError, isApiError } from './errors.js';
import { PooledKubeConfig } from './pooled-kubeconfig.js';
import { TeamtaskClient } from './teamtask-client.js';

/**
 * Another cluster, reached through a kubeconfig kept in a Secret (a secondary Worklist's parent
 * elsewhere: the controller reads spec.source.worklist.kubeconfigSecret, the workers
 * itemsKubeconfigSecret when there is one).
 */
export interface OtherCluster {
  readonly kc: KubeConfig;
  readonly client: TeamtaskClient;
  readonly core: CoreV1Api;
  /** The Secret's resourceVersion: a Secret replaced or edited makes a new client. */
  readonly resourceVersion?: string;
}

/** A call to another cluster gets this long before it is aborted and the cluster counted unreachable. */
export const REMOTE_CALL_TIMEOUT_MS = 10_000;

/**
 * A kubeconfig whose every request is aborted once `deadlineMs` has passed: a cluster that
 * stops answering (a partition, a stopped API server) holds a request, and its connection, open
 * with no error. For calls that end: no watch goes to another cluster.
 */
class DeadlineKubeConfig extends PooledKubeConfig {
  constructor(private readonly deadlineMs: number) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setSignal(AbortSignal.timeout(this.deadlineMs));
  }
}

/**
 * The kubeconfig a Secret holds under KUBECONFIG_SECRET_KEY, each request through it aborted
 * after `deadlineMs`; a HintedError says what is wrong.
 */
export function kubeConfigFromSecret(secret: V1Secret, deadlineMs = REMOTE_CALL_TIMEOUT_MS): KubeConfig {
  const where = `Secret ${secret.metadata?.namespace}/${secret.metadata?.name}`;
  if (secret.metadata?.labels?.[KUBECONFIG_SECRET_LABEL] !== 'true')
    throw new HintedError(
      `${where} is not labelled ${KUBECONFIG_SECRET_LABEL}=true: Teamtask uses only kubeconfig Secrets made for it`,
      `if it is meant for Teamtask: kubectl label secret ${secret.metadata?.name} -n ${secret.metadata?.namespace} ${KUBECONFIG_SECRET_LABEL}=true`,
    );
  const fix = `put a kubeconfig for the parent's cluster under key ${KUBECONFIG_SECRET_KEY} (kubectl config view --minify --flatten)`;
  const data = secret.data?.[KUBECONFIG_SECRET_KEY];
  if (data === undefined) throw new HintedError(`${where} has no key ${KUBECONFIG_SECRET_KEY}`, fix);
  const kc = new DeadlineKubeConfig(deadlineMs);
  try {
    kc.loadFromString(Buffer.from(data, 'base64').toString('utf8'));
  } catch (err) {
    throw new HintedError(
      `${where}: key ${KUBECONFIG_SECRET_KEY} is no kubeconfig (${(err as Error).message})`,
      fix,
    );
  }
  if (!kc.getCurrentCluster())
    throw new HintedError(
      `${where}: the kubeconfig under key ${KUBECONFIG_SECRET_KEY} has no current context with a cluster`,
      fix,
    );
  return kc;
}

/** Reads the Secret through `core` (this cluster) and makes the other cluster's clients. */
export async function otherCluster(core: CoreV1Api, namespace: string, name: string): Promise<OtherCluster> {
  let secret: V1Secret;
  try {
    secret = await core.readNamespacedSecret({ name, namespace });
  } catch (err) {
    if (!isApiError(err, 404)) throw err;
    throw new HintedError(
      `Secret ${namespace}/${name} is not found: the parent's cluster cannot be reached`,
      `create it with a kubeconfig for the parent's cluster under key ${KUBECONFIG_SECRET_KEY}`,
    );
  }
  return clientsOf(kubeConfigFromSecret(secret), secret.metadata?.resourceVersion);
}

export function clientsOf(kc: KubeConfig, resourceVersion?: string): OtherCluster {
  return { kc, client: new TeamtaskClient(kc), core: kc.makeApiClient(CoreV1Api), resourceVersion };
}

/**
 * The call's answer, or a rejection after `ms`: a cluster that stops answering (a partition, a
 * stopped API server) holds a request open with no error, and nothing here may wait on it for good.
 */
export async function withTimeout<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
