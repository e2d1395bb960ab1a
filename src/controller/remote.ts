import type { CoreV1Api } from '@kubernetes/client-node';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { upstreamBlockName } from '../api/names.js';
import { explain, isApiError } from '../kube/errors.js';
import { otherCluster, withTimeout, type OtherCluster } from '../kube/other-cluster.js';
import type { ResourceClient } from '../kube/teamtask-client.js';

/** A call to a parent's cluster gets this long before the secondary counts the cluster unreachable. */
export const REMOTE_CALL_TIMEOUT_MS = 10_000;
/**
 * No watch reaches into another cluster: a secondary whose parent is there looks at it this often
 * while it runs (a new range, an ask to yield, its lease renewed in time).
 */
export const REMOTE_POLL_MS = 2_000;
/** How long a kubeconfig Secret read stays good (it is read again after, so a rotated credential is taken up). */
export const SECRET_TTL_MS = 30_000;

/** A secondary's parent in another cluster as read now, and the client to write its Block with. */
export interface RemoteParent {
  readonly parent?: Worklist;
  /** This secondary's Block in the parent's namespace, as read now. */
  readonly block?: Block;
  readonly blocks?: ResourceClient<Block>;
  readonly problem?: { readonly reason: string; readonly message: string };
}

/**
 * The parents of secondaries whose spec.source.worklist names a kubeconfigSecret: read by `get`
 * on every pass (two reads, the parent Worklist and this secondary's Block), through a client made
 * from the Secret, which is read again every SECRET_TTL_MS.
 */
export class RemoteParents {
  private readonly clusters = new Map<string, { at: number; cluster: OtherCluster }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly now: () => number,
  ) {}

  async read(w: Worklist): Promise<RemoteParent> {
    const ref = w.spec.source.worklist!;
    const ns = ref.namespace ?? w.metadata.namespace!;
    const where = `parent Worklist ${ns}/${ref.name} (cluster of Secret ${ref.kubeconfigSecret})`;
    let cluster: OtherCluster;
    try {
      cluster = await this.cluster(w.metadata.namespace!, ref.kubeconfigSecret!);
    } catch (err) {
      return { problem: unreachable(where, err) };
    }
    const blocks = cluster.client.blocks(ns);
    const call = <T>(p: Promise<T>, what: string) => withTimeout(p, REMOTE_CALL_TIMEOUT_MS, what);
    let parent: Worklist;
    try {
      parent = await call(cluster.client.worklists(ns).get(ref.name), `reading ${where}`);
    } catch (err) {
      if (isApiError(err, 404)) {
        return {
          problem: {
            reason: 'ParentNotFound',
            message: `${where} is not found: nothing to work on; create it, or point spec.source.worklist at another one`,
          },
        };
      }
      return { problem: unreachable(where, err) };
    }
    try {
      const name = upstreamBlockName(w.metadata.namespace!, w.metadata.name!);
      const block = await call(blocks.get(name), `reading this secondary's Block of ${where}`).catch(
        (err: unknown) => {
          if (isApiError(err, 404)) return undefined;
          throw err;
        },
      );
      return { parent, block, blocks };
    } catch (err) {
      return { parent, problem: unreachable(where, err) };
    }
  }

  private async cluster(namespace: string, secret: string): Promise<OtherCluster> {
    const key = `${namespace}/${secret}`;
    const hit = this.clusters.get(key);
    if (hit && this.now() - hit.at < SECRET_TTL_MS) return hit.cluster;
    const cluster = await otherCluster(this.core, namespace, secret);
    // The same Secret as before: keep the client (and its connections).
    const kept = hit && hit.cluster.resourceVersion === cluster.resourceVersion ? hit.cluster : cluster;
    this.clusters.set(key, { at: this.now(), cluster: kept });
    return kept;
  }
}

function unreachable(where: string, err: unknown): { reason: string; message: string } {
  return {
    reason: 'ParentUnreachable',
    message: `cannot reach ${where}: ${explain(err).message}; nothing more is handed out until it can be`,
  };
}
