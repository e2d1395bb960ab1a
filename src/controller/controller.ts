import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import {
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type Worklist,
  type WorklistSpecSourceConfigMap,
} from '../api/v1alpha1/index.js';
import { explain, HintedError } from '../kube/errors.js';
import { deadWorkers, POD_LABEL } from './pods.js';
import { WorkQueue } from './queue.js';
import { countItems, reconcile } from './reconcile.js';

export interface ControllerOptions {
  /** Reconcile workers running at once (each key is still handled by one at a time). */
  workers?: number;
  log?: (line: string) => void;
  /** The fencing check before every write: false once this process may no longer be the leader. */
  mayWrite?: () => boolean;
}

export interface ControllerMetrics {
  syncs: number;
  syncErrors: number;
  conflicts: number;
  ledgerWrites: number;
  blockWrites: number;
  reclaims: number;
}

type Cached<T extends KubernetesObject> = ListWatch<T>;

const WORKLIST_LABEL = 'teamtask.dev/worklist';

/**
 * The thin I/O shell around reconcile(): informers on Worklists and Blocks feed a keyed queue of
 * Worklist keys; each sync reads the caches, asks reconcile() for a plan, writes the ledger with
 * the resourceVersion it read (a 409 means someone else wrote: look again), then the Blocks.
 */
export class Controller {
  readonly metrics: ControllerMetrics = {
    syncs: 0,
    syncErrors: 0,
    conflicts: 0,
    ledgerWrites: 0,
    blockWrites: 0,
    reclaims: 0,
  };
  private readonly queue = new WorkQueue();
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly worklists: Cached<Worklist>;
  private readonly blocks: Cached<Block>;
  /** Worker pods (labelled with their Worklist by `create`): a dead pod's range goes back. */
  private readonly pods: Cached<V1Pod>;
  private synced = false;
  private readonly restartTimers = new Set<NodeJS.Timeout | undefined>();
  /** Per Worklist key: the resourceVersion it had when this controller last wrote its ledger. */
  private readonly writtenOver = new Map<string, string>();
  private stopped = false;
  private readonly log: (line: string) => void;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ControllerOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    const list = (plural: string) => () =>
      this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as never;
    // ListWatch rather than makeInformer: the same object, typed with latestResourceVersion().
    const watch = new Watch(kc);
    const path = (plural: string) => `/apis/${GROUP}/${VERSION}/${plural}`;
    this.worklists = new ListWatch<Worklist>(path(WORKLIST_PLURAL), watch, list(WORKLIST_PLURAL), false);
    this.blocks = new ListWatch<Block>(path(BLOCK_PLURAL), watch, list(BLOCK_PLURAL), false);
    this.pods = new ListWatch<V1Pod>(
      '/api/v1/pods',
      watch,
      () => this.core.listPodForAllNamespaces({ labelSelector: WORKLIST_LABEL }),
      false,
      WORKLIST_LABEL,
    );
  }

  /** True once both caches hold a full list. */
  get ready(): boolean {
    return this.synced && !this.stopped;
  }

  async start(): Promise<void> {
    const enqueueWorklist = (w: Worklist) => this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
    const enqueueOwner = (b: Block) => this.queue.add(`${b.metadata.namespace}/${b.spec.worklist}`);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.worklists.on(verb, enqueueWorklist);
      this.blocks.on(verb, enqueueOwner);
      this.pods.on(verb, (p: V1Pod) =>
        this.queue.add(`${p.metadata?.namespace}/${p.metadata?.labels?.[WORKLIST_LABEL]}`),
      );
    }
    for (const [name, informer] of [
      ['worklists', this.worklists],
      ['blocks', this.blocks],
      ['pods', this.pods],
    ] as const) {
      this.keepWatching(name, informer);
      await informer.start();
    }
    // start() resolves before its first list has succeeded; an empty Block cache would look like
    // every worker gone. No reconcile until both caches hold a full list.
    while (
      !this.stopped &&
      (!this.worklists.latestResourceVersion() || !this.blocks.latestResourceVersion())
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.synced = true;
    for (let i = 0; i < (this.options.workers ?? 2); i++) void this.work();
  }

  /** A watch that ends with an error stays stopped: start it again, backing off while it keeps failing. */
  private keepWatching(name: string, informer: Cached<KubernetesObject>): void {
    let delay = 1000;
    const restart = () => {
      this.restartTimers.delete(timer);
      if (this.stopped) return;
      informer.start().catch((err: unknown) => retry(err));
    };
    let timer: NodeJS.Timeout | undefined;
    const retry = (err: unknown) => {
      if (this.stopped) return;
      this.log(`watch of ${name} failed (${explain(err).message}); restarting in ${delay} ms`);
      timer = setTimeout(restart, delay);
      this.restartTimers.add(timer);
      delay = Math.min(delay * 2, 30_000);
    };
    informer.on('error', retry);
    // Events flowing again mean the watch works: the next failure starts from a short delay.
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => (delay = 1000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.queue.shutDown();
    await Promise.all([this.worklists.stop(), this.blocks.stop(), this.pods.stop()]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key);
        this.queue.forget(key);
      } catch (err) {
        this.metrics.syncErrors++;
        if (err instanceof ApiException && err.code === 409) this.metrics.conflicts++;
        else this.log(`sync ${key} failed: ${explain(err).message}`);
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async sync(key: string): Promise<void> {
    this.metrics.syncs++;
    const [namespace, name] = key.split('/') as [string, string];
    const cached = this.worklists.get(name, namespace);
    if (!cached) return; // deleted: its Blocks' workers find out when they next look
    // The cache can lag behind our own last write; a plan from that older ledger could hand the
    // Blocks stale ranges (their writes carry no precondition). Wait for the cache to catch up.
    if (this.writtenOver.get(key) === cached.metadata.resourceVersion) {
      this.queue.addAfter(key, 50);
      return;
    }
    const worklist = structuredClone(cached);
    const blocks = this.blocks.list(namespace).filter((b) => b.spec.worklist === name);
    const totalItems =
      countItems(worklist.spec.source) ??
      (await this.countConfigMap(namespace, worklist.spec.source.configMap!));
    const now = new Date();
    const podPhases = new Map(this.pods.list(namespace).map((p) => [p.metadata!.name!, p.status?.phase]));
    const dead = deadWorkers(blocks, podPhases, now.getTime());
    const plan = reconcile({ worklist, blocks, deadWorkers: dead, totalItems }, now);
    this.metrics.reclaims += plan.reclaimed.length;

    if (this.options.mayWrite && !this.options.mayWrite())
      throw new Error('not the leader any more: not writing');
    if (!sameJson(worklist.status, plan.status)) {
      // The mutex: a replace carries the resourceVersion read, so a stale view fails with 409.
      await this.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        plural: WORKLIST_PLURAL,
        namespace,
        name,
        body: { ...worklist, status: plan.status },
      });
      this.metrics.ledgerWrites++;
      this.writtenOver.set(key, worklist.metadata.resourceVersion!);
    }
    for (const [block, status] of plan.blockStatuses) {
      await this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: BLOCK_PLURAL, namespace, name: block, body: { status } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.metrics.blockWrites++;
    }
    for (const block of plan.deleteBlocks) {
      try {
        await this.custom.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: BLOCK_PLURAL,
          namespace,
          name: block,
        });
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      }
    }
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 100);
    // A Block waiting out the grace period for its pod to show up is looked at again after it.
    if (blocks.some((b) => b.metadata.labels?.[POD_LABEL] && !podPhases.has(b.metadata.labels[POD_LABEL]))) {
      this.queue.addAfter(key, 2000);
    }
  }

  private async countConfigMap(namespace: string, source: WorklistSpecSourceConfigMap): Promise<number> {
    const cm = await this.core.readNamespacedConfigMap({ name: source.name, namespace });
    const text = cm.data?.[source.key ?? 'items'];
    if (text === undefined) {
      throw new HintedError(
        `ConfigMap ${namespace}/${source.name} has no key ${source.key ?? 'items'}`,
        'add the key, one item per line',
      );
    }
    return text.split('\n').filter((line) => line.trim() !== '').length;
  }
}

/** Equal as JSON, whatever the key order (undefined fields count as absent). */
export function sameJson(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

function stableStringify(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)))
      : value,
  );
}
