import {
  CoreV1Api,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import { BLOCK_PLURAL, WORKLIST_PLURAL, type Block, type Worklist } from '../api/v1alpha1/index.js';
import { SECONDARY_ANNOTATION, WORKLIST_LABEL } from '../api/names.js';
import { explain } from '../kube/errors.js';
import { collectionPath, TeamtaskClient } from '../kube/teamtask-client.js';

type Cached<T extends KubernetesObject> = ListWatch<T>;

/** A watch that failed is started again after this, doubling up to WATCH_RESTART_MAX_MS while it keeps failing. */
const WATCH_RESTART_MS = 1000;
const WATCH_RESTART_MAX_MS = 30_000;
/** How often start() checks whether every cache holds its first full list. */
const SYNC_POLL_MS = 100;

/** What changed, as a Worklist key (`namespace/name`) to reconcile. */
export type Enqueue = (key: string) => void;

/**
 * The controller's informers: Worklists, Blocks, worker Pods (those labelled with their
 * Worklist by `create`: a dead pod's range goes back) and ResourceQuotas, each change turned into
 * the key of the Worklist it concerns. ListWatch rather than makeInformer: the same object, typed,
 * with latestResourceVersion().
 */
export class Caches {
  readonly worklists: Cached<Worklist>;
  readonly blocks: Cached<Block>;
  readonly pods: Cached<V1Pod>;
  readonly quotas: Cached<V1ResourceQuota>;
  private readonly restartTimers = new Set<NodeJS.Timeout | undefined>();
  private stopped = false;

  constructor(
    kc: KubeConfig,
    namespace: string | undefined,
    private readonly log: (line: string) => void,
  ) {
    const client = new TeamtaskClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const watch = new Watch(kc);
    const scope = namespace ? `/namespaces/${namespace}` : '';
    const ofTeamtask = <T extends KubernetesObject>(plural: typeof WORKLIST_PLURAL | typeof BLOCK_PLURAL) =>
      new ListWatch<T>(
        collectionPath(plural, namespace),
        watch,
        () => client.listAll(plural, namespace) as never,
        false,
      );
    this.worklists = ofTeamtask<Worklist>(WORKLIST_PLURAL);
    this.blocks = ofTeamtask<Block>(BLOCK_PLURAL);
    this.pods = new ListWatch<V1Pod>(
      `/api/v1${scope}/pods`,
      watch,
      () =>
        namespace
          ? core.listNamespacedPod({ namespace, labelSelector: WORKLIST_LABEL })
          : core.listPodForAllNamespaces({ labelSelector: WORKLIST_LABEL }),
      false,
      WORKLIST_LABEL,
    );
    this.quotas = new ListWatch<V1ResourceQuota>(
      `/api/v1${scope}/resourcequotas`,
      watch,
      () =>
        namespace
          ? core.listNamespacedResourceQuota({ namespace })
          : core.listResourceQuotaForAllNamespaces(),
      false,
    );
  }

  /** Sends every change to `enqueue`; `onBlockGone` hears of each Block deleted (to forget what was kept of it). */
  async start(enqueue: Enqueue, onBlockGone: (uid: string) => void): Promise<void> {
    const worklist = (w: Worklist) => enqueue(`${w.metadata.namespace}/${w.metadata.name}`);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.worklists.on(verb, worklist);
    }
    // A secondary gone: its parent counts the secondary's Block there dead (pods.ts) at once.
    this.worklists.on('delete', (w: Worklist) => {
      const parent = w.spec.source.worklist;
      if (parent) enqueue(`${parent.namespace ?? w.metadata.namespace}/${parent.name}`);
    });
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.blocks.on(verb, (b: Block) => {
        enqueue(`${b.metadata.namespace}/${b.spec.worklist}`);
        // A secondary's Block in its parent's namespace: the secondary reads its parent's word there.
        const secondary = b.metadata.annotations?.[SECONDARY_ANNOTATION];
        if (secondary) enqueue(secondary);
      });
      this.pods.on(verb, (p: V1Pod) =>
        enqueue(`${p.metadata?.namespace}/${p.metadata?.labels?.[WORKLIST_LABEL]}`),
      );
      this.quotas.on(verb, (q: V1ResourceQuota) => {
        for (const w of this.worklists.list(q.metadata?.namespace)) worklist(w);
      });
    }
    this.blocks.on('delete', (b: Block) => onBlockGone(b.metadata.uid!));
    const informers = [
      ['worklists', this.worklists],
      ['blocks', this.blocks],
      ['pods', this.pods],
      ['resourcequotas', this.quotas],
    ] as const;
    for (const [name, informer] of informers) {
      this.keepWatching(name, informer);
      await informer.start();
    }
    // start() resolves before its first list has succeeded; an empty Block cache would look like
    // every worker gone. Not synced until every cache holds a full list.
    while (!this.stopped && informers.some(([, i]) => !i.latestResourceVersion())) {
      await new Promise((resolve) => setTimeout(resolve, SYNC_POLL_MS));
    }
  }

  /** A watch that ends with an error stays stopped: start it again, backing off while it keeps failing. */
  private keepWatching(name: string, informer: Cached<KubernetesObject>): void {
    let delay = WATCH_RESTART_MS;
    let timer: NodeJS.Timeout | undefined;
    const restart = () => {
      this.restartTimers.delete(timer);
      if (this.stopped) return;
      informer.start().catch((err: unknown) => retry(err));
    };
    const retry = (err: unknown) => {
      if (this.stopped) return;
      this.log(`watch of ${name} failed (${explain(err).message}); restarting in ${delay} ms`);
      timer = setTimeout(restart, delay);
      this.restartTimers.add(timer);
      delay = Math.min(delay * 2, WATCH_RESTART_MAX_MS);
    };
    informer.on('error', retry);
    // Events flowing again mean the watch works: the next failure starts from a short delay.
    for (const verb of ['add', 'update', 'delete'] as const)
      informer.on(verb, () => (delay = WATCH_RESTART_MS));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all([this.worklists.stop(), this.blocks.stop(), this.pods.stop(), this.quotas.stop()]);
  }
}
