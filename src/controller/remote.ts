import type { CoreV1Api } from '@kubernetes/client-node';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { upstreamBlockName } from '../api/names.js';
import { explain, isApiError } from '../kube/errors.js';
import {
  otherCluster,
  REMOTE_CALL_TIMEOUT_MS,
  withTimeout,
  type OtherCluster,
} from '../kube/other-cluster.js';
import type { ResourceClient } from '../kube/teamtask-client.js';

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

/** What is kept of one secondary's parent: the last read, and whether the next one is under way. */
interface Polled {
  result?: RemoteParent;
  /** When the last read began: its data is at least this old. */
  readAt: number;
  reading: boolean;
  /** The last pass that asked: a secondary no pass asks about any more is forgotten. */
  askedAt: number;
}

/** A secondary no pass asked about for this long (deleted, or pointed elsewhere) is forgotten. */
const FORGET_AFTER_MS = 10 * 60_000;

/**
 * The parents of secondaries whose spec.source.worklist names a kubeconfigSecret, polled (no
 * watch reaches into another cluster; ParentReader reads). A pass never waits on the other
 * cluster: it plans from the last read (as it would from an informer's cache; tokens tell a view
 * older than our own status), and a read older than REMOTE_POLL_MS starts the next one beside
 * it; `changed` hears of a read that brought news. So an unreachable cluster costs its own
 * secondaries their timeouts, not every Worklist's passes.
 */
export class RemoteParents {
  private readonly polled = new Map<string, Polled>();
  private sweptAt: number;

  constructor(
    private readonly now: () => number,
    /** A read brought news of the secondary `namespace/name`: it needs a pass. */
    private readonly changed: (key: string) => void,
    /** One read of a secondary's parent (ParentReader's, but for tests); never throws. */
    private readonly fetch: (w: Worklist) => Promise<RemoteParent>,
  ) {
    this.sweptAt = now();
  }

  /**
   * What the last read of w's parent saw (undefined: none answered yet since this controller
   * started; `changed` hears when one does), and the next read begun when that one is due.
   */
  read(w: Worklist): RemoteParent | undefined {
    const now = this.now();
    const key = pollKey(w);
    const p = this.polled.get(key) ?? { readAt: -Infinity, reading: false, askedAt: now };
    this.polled.set(key, p);
    p.askedAt = now;
    if (!p.reading && now - p.readAt >= REMOTE_POLL_MS) void this.poll(w, p);
    this.sweep(now);
    return p.result;
  }

  /** This secondary wrote to its parent: the next pass reads again (the parent's controller answers it). */
  wrote(w: Worklist): void {
    const p = this.polled.get(pollKey(w));
    if (p) p.readAt = -Infinity;
  }

  private async poll(w: Worklist, p: Polled): Promise<void> {
    p.reading = true;
    p.readAt = this.now();
    const result = await this.fetch(w).catch((err: unknown): RemoteParent => ({
      problem: unreachable(where(w), err),
    }));
    const news = p.result === undefined || fingerprint(result) !== fingerprint(p.result);
    p.result = result;
    p.reading = false;
    if (news) this.changed(`${w.metadata.namespace}/${w.metadata.name}`);
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < FORGET_AFTER_MS) return;
    this.sweptAt = now;
    for (const [key, p] of this.polled)
      if (!p.reading && now - p.askedAt >= FORGET_AFTER_MS) this.polled.delete(key);
  }
}

/**
 * Reads a secondary's parent in another cluster: two `get`s, the parent Worklist and this
 * secondary's Block, through a client made from the kubeconfig Secret, which is read again
 * every SECRET_TTL_MS (a rotated credential is taken up).
 */
export class ParentReader {
  private readonly clusters = new Map<string, { at: number; cluster: OtherCluster }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly now: () => number,
  ) {}

  /** One read of the parent and this secondary's Block there; never throws. */
  async read(w: Worklist): Promise<RemoteParent> {
    const ref = w.spec.source.worklist!;
    const ns = ref.namespace ?? w.metadata.namespace!;
    let cluster: OtherCluster;
    try {
      cluster = await this.cluster(w.metadata.namespace!, ref.kubeconfigSecret!);
    } catch (err) {
      return { problem: unreachable(where(w), err) };
    }
    const blocks = cluster.client.blocks(ns);
    const call = <T>(p: Promise<T>, what: string) => withTimeout(p, REMOTE_CALL_TIMEOUT_MS, what);
    let parent: Worklist;
    try {
      parent = await call(cluster.client.worklists(ns).get(ref.name), `reading ${where(w)}`);
    } catch (err) {
      if (isApiError(err, 404)) {
        return {
          problem: {
            reason: 'ParentNotFound',
            message: `${where(w)} is not found: nothing to work on; create it, or point spec.source.worklist at another one`,
          },
        };
      }
      return { problem: unreachable(where(w), err) };
    }
    try {
      const name = upstreamBlockName(w.metadata.namespace!, w.metadata.name!);
      const block = await call(blocks.get(name), `reading this secondary's Block of ${where(w)}`).catch(
        (err: unknown) => {
          if (isApiError(err, 404)) return undefined;
          throw err;
        },
      );
      return { parent, block, blocks };
    } catch (err) {
      return { parent, problem: unreachable(where(w), err) };
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

/** A secondary and what its spec points at: a secondary pointed elsewhere starts anew. */
const pollKey = (w: Worklist) => {
  const ref = w.spec.source.worklist!;
  return [w.metadata.namespace, w.metadata.name, ref.namespace ?? '', ref.name, ref.kubeconfigSecret].join(
    '/',
  );
};

const where = (w: Worklist) => {
  const ref = w.spec.source.worklist!;
  return `parent Worklist ${ref.namespace ?? w.metadata.namespace}/${ref.name} (cluster of Secret ${ref.kubeconfigSecret})`;
};

/** What tells one read from another: the objects' versions, and the problem. */
const fingerprint = (r: RemoteParent | undefined) =>
  r === undefined
    ? ''
    : [r.parent?.metadata.resourceVersion, r.block?.metadata.resourceVersion, r.problem?.message].join('|');

function unreachable(where: string, err: unknown): { reason: string; message: string } {
  return {
    reason: 'ParentUnreachable',
    message: `cannot reach ${where}: ${explain(err).message}; nothing more is handed out until it can be`,
  };
}
