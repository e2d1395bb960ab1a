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
  type V1ConfigMap,
  type V1Pod,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  BLOCK_FINALIZER,
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type Worklist,
  type WorklistSpecSourceConfigMap,
  type WorklistStatus,
} from '../api/v1alpha1/index.js';
import { randomInt } from 'node:crypto';
import { explain, isApiError } from '../kube/errors.js';
import { itemsKey } from '../api/defaults.js';
import {
  CONTROLLER_NAME,
  LIMITS_CONFIGMAP,
  POD_LABEL,
  REPORTING_COMPONENT,
  SYSTEM_NAMESPACE,
  WORKLIST_LABEL,
} from '../api/names.js';
import { countItems, itemLines, maxBlocksPerWorklist } from '../api/source.js';
import { inBatches } from './batches.js';
import { deadWorkers } from './pods.js';
import { Metrics } from './metrics.js';
import { WorkQueue } from './queue.js';
import { AssignmentLimits } from './rate-limit.js';
import {
  orphanBlockStatus,
  ownBlocks,
  reconcile,
  unreadableSourceStatus,
  type Plan,
  type QuotaUse,
  type SourceState,
  type WorklistEvent,
} from './reconcile.js';

export interface ControllerOptions {
  /** Reconcile workers running at once (each key is still handled by one at a time). */
  workers?: number;
  log?: (line: string) => void;
  /** The fencing check before every write: false once this process may no longer be the leader. */
  mayWrite?: () => boolean;
  /** Assignment rate limits: over all Worklists, and per Worklist (tokens per second, burst). */
  limits?: { qps: number; burst: number; worklistQps: number; worklistBurst: number };
  /** Watch only this namespace (default: all). */
  namespace?: string;
  /** Who records Events (the pod or host name). */
  identity?: string;
  now?: () => number;
}

export const DEFAULT_LIMITS = { qps: 100, burst: 200, worklistQps: 50, worklistBurst: 100 };
/** Block status writes of one pass in flight at once. */
const BLOCK_WRITES_AT_ONCE = 8;

type Cached<T extends KubernetesObject> = ListWatch<T>;

/** How long a ConfigMap read stays good: a deleted item source shows within this. */
const CONFIGMAP_TTL_MS = 30_000;
/** ResourceQuota resources that can keep a worker from joining. */
const QUOTA_RESOURCES = ['count/blocks.teamtask.dev', 'pods', 'count/pods'];

/**
 * The thin I/O shell around reconcile(): informers on Worklists, Blocks, worker Pods and
 * ResourceQuotas feed a keyed queue of Worklist keys; each sync reads the caches, asks
 * reconcile() for a plan, writes the ledger with the resourceVersion it read (a 409 means
 * someone else wrote: look again), then the Blocks, finalizers and Events.
 */
export class Controller {
  readonly metrics: Metrics;
  private readonly queue = new WorkQueue();
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly worklists: Cached<Worklist>;
  private readonly blocks: Cached<Block>;
  /** Worker pods (labelled with their Worklist by `create`): a dead pod's range goes back. */
  private readonly pods: Cached<V1Pod>;
  private readonly quotas: Cached<V1ResourceQuota>;
  private synced = false;
  private readonly restartTimers = new Set<NodeJS.Timeout | undefined>();
  /** Per Worklist key: the resourceVersion it had when this controller last wrote its ledger. */
  private readonly writtenOver = new Map<string, string>();
  /** Per Block UID: the status we last wrote, and the resourceVersion the Block had before it. */
  private readonly blockStatusWritten = new Map<string, { over: string; status: unknown }>();
  /** Per Block UID: the generation whose report was last judged (a stale report counts once). */
  private readonly reportsJudged = new Map<string, number>();
  /** Per Block UID: the generation whose malformed report was last told of (an Event each). */
  private readonly refusedReports = new Map<string, number>();
  private readonly limits: AssignmentLimits;
  /** ConfigMaps read lately (item sources, the limits), by namespace/name. */
  private readonly configMaps = new Map<string, { at: number; cm: V1ConfigMap | undefined }>();
  private readonly now: () => number;
  private stopped = false;
  private readonly log: (line: string) => void;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ControllerOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    this.limits = new AssignmentLimits(options.limits ?? DEFAULT_LIMITS, this.now);
    this.metrics = new Metrics(() => ({
      queueDepth: this.queue.length,
      worklists: this.worklists.list().length,
      leader: this.synced && (options.mayWrite?.() ?? true),
    }));
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    // ListWatch rather than makeInformer: the same object, typed with latestResourceVersion().
    const watch = new Watch(kc);
    const ns = options.namespace;
    const scope = ns ? `/namespaces/${ns}` : '';
    const custom = (plural: string) => () =>
      (ns
        ? this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns })
        : this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as never;
    const path = (plural: string) => `/apis/${GROUP}/${VERSION}${scope}/${plural}`;
    this.worklists = new ListWatch<Worklist>(path(WORKLIST_PLURAL), watch, custom(WORKLIST_PLURAL), false);
    this.blocks = new ListWatch<Block>(path(BLOCK_PLURAL), watch, custom(BLOCK_PLURAL), false);
    this.pods = new ListWatch<V1Pod>(
      `/api/v1${scope}/pods`,
      watch,
      () =>
        ns
          ? this.core.listNamespacedPod({ namespace: ns, labelSelector: WORKLIST_LABEL })
          : this.core.listPodForAllNamespaces({ labelSelector: WORKLIST_LABEL }),
      false,
      WORKLIST_LABEL,
    );
    this.quotas = new ListWatch<V1ResourceQuota>(
      `/api/v1${scope}/resourcequotas`,
      watch,
      () =>
        ns
          ? this.core.listNamespacedResourceQuota({ namespace: ns })
          : this.core.listResourceQuotaForAllNamespaces(),
      false,
    );
  }

  /** True once the caches hold a full list. */
  get ready(): boolean {
    return this.synced && !this.stopped;
  }

  /**
   * Fills the caches: informers listed and watching. A standby replica does this before it leads,
   * so a leader is working from the moment it holds the Lease (a start-up that takes long,
   * a CPU-starved one, say, happens before, not while the Lease needs renewing).
   */
  async start(): Promise<void> {
    const enqueueWorklist = (w: Worklist) => this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
    const enqueueOwner = (b: Block) => this.queue.add(`${b.metadata.namespace}/${b.spec.worklist}`);
    const enqueueNamespace = (q: V1ResourceQuota) => {
      for (const w of this.worklists.list(q.metadata?.namespace)) enqueueWorklist(w);
    };
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.worklists.on(verb, enqueueWorklist);
      this.blocks.on(verb, enqueueOwner);
      this.pods.on(verb, (p: V1Pod) =>
        this.queue.add(`${p.metadata?.namespace}/${p.metadata?.labels?.[WORKLIST_LABEL]}`),
      );
      this.quotas.on(verb, enqueueNamespace);
    }
    this.blocks.on('delete', (b: Block) => {
      this.reportsJudged.delete(b.metadata.uid!);
      this.refusedReports.delete(b.metadata.uid!);
      this.blockStatusWritten.delete(b.metadata.uid!);
    });
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
    // every worker gone. No reconcile until every cache holds a full list.
    while (!this.stopped && informers.some(([, i]) => !i.latestResourceVersion())) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.synced = true;
  }

  /** Starts reconciling (the caller leads, if it elects): every cached Worklist, then every change. */
  lead(): void {
    for (const w of this.worklists.list()) this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
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
    await Promise.all([this.worklists.stop(), this.blocks.stop(), this.pods.stop(), this.quotas.stop()]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        await this.sync(key);
        this.queue.forget(key);
      } catch (err) {
        this.metrics.inc('syncErrors');
        if (err instanceof ApiException && err.code === 409) this.metrics.inc('conflicts');
        else this.log(`sync ${key} failed: ${explain(err).message}`);
        this.queue.addRateLimited(key);
      } finally {
        this.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
        this.queue.done(key);
      }
    }
  }

  private async sync(key: string): Promise<void> {
    this.metrics.inc('syncs');
    const [namespace, name] = key.split('/') as [string, string];
    let blocks = this.blocks.list(namespace).filter((b) => b.spec.worklist === name);
    const cached = this.worklists.get(name, namespace);
    if (!cached) {
      // Deleted: the garbage collector deletes its Blocks, which wait on our finalizer.
      this.limits.forget(key);
      this.writtenOver.delete(key);
      this.assertMayWrite();
      for (const b of blocks.filter((b) => b.metadata.deletionTimestamp)) {
        if (!(await this.dropFinalizer(b))) this.queue.addAfter(key, 100);
      }
      // A Block naming a Worklist that is not there waits: its worker is told why.
      for (const b of blocks) {
        const status = orphanBlockStatus(b);
        if (!status) continue;
        await ignoreNotFound(
          this.custom.patchNamespacedCustomObjectStatus(
            {
              group: GROUP,
              version: VERSION,
              plural: BLOCK_PLURAL,
              namespace,
              name: b.metadata.name!,
              body: { status },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
        this.metrics.inc('blockWrites');
      }
      return;
    }
    // The cache can lag behind our own last write; a plan from that older ledger could hand the
    // Blocks stale ranges (their writes carry no precondition). Wait for the cache to catch up.
    if (this.writtenOver.get(key) === cached.metadata.resourceVersion) {
      this.queue.addAfter(key, 50);
      return;
    }
    const worklist = structuredClone(cached);
    blocks = ownBlocks(worklist, blocks);
    const now = new Date(this.now());
    // A ConfigMap source is looked at while the Worklist runs (it may be deleted under it, which
    // the admission policy cannot prevent either), and its item count is fixed once the ledger
    // has it: a ConfigMap edited later changes nothing.
    const configMap = worklist.spec.source.configMap;
    const read =
      configMap && !worklist.status?.completionTime ? await this.readSource(namespace, configMap) : undefined;
    const totalItems = worklist.status?.totalItems ?? countItems(worklist.spec.source) ?? read?.count;
    if (totalItems === undefined) {
      // Never counted and unreadable: no ledger yet, only a condition that says why.
      const { status, events } = unreadableSourceStatus(worklist, read!.source.problem!, now);
      this.assertMayWrite();
      await this.writeStatus(key, worklist, status);
      for (const event of events) await this.record(worklist, event);
      this.queue.addAfter(key, CONFIGMAP_TTL_MS);
      return;
    }
    const podPhases = new Map(this.pods.list(namespace).map((p) => [p.metadata!.name!, p.status?.phase]));
    const dead = deadWorkers(blocks, podPhases, now.getTime());
    const plan = reconcile(
      {
        worklist,
        blocks,
        deadWorkers: dead,
        totalItems,
        quotas: quotaUses(this.quotas.list(namespace)),
        assignmentBudget: this.limits.budget(key),
        newToken: () => randomInt(1, 2 ** 48),
        source: read?.source,
      },
      now,
    );

    this.assertMayWrite();
    if (await this.writeStatus(key, worklist, plan.status)) this.metrics.inc('ledgerWrites');
    // The ledger is written: what the plan did now counts.
    this.limits.take(key, plan.assigned);
    const refused = this.judgeReports(worklist, plan, blocks);
    const byName = new Map(blocks.map((b) => [b.metadata.name!, b]));
    // Each Block's status is its own object: written side by side, so the last of many Blocks
    // served in one pass does not wait for all the others' round trips.
    await inBatches([...plan.blockStatuses], BLOCK_WRITES_AT_ONCE, async ([block, status]) => {
      // The Block cache can lag behind our own last status write: the same status again, on a
      // Block the cache still shows as it was before that write, is not written twice.
      const cached = byName.get(block)!;
      const last = this.blockStatusWritten.get(cached.metadata.uid!);
      if (last && last.over === cached.metadata.resourceVersion && sameJson(last.status, status)) return;
      this.assertMayWrite();
      const written = await ignoreNotFound(
        this.custom.patchNamespacedCustomObjectStatus(
          { group: GROUP, version: VERSION, plural: BLOCK_PLURAL, namespace, name: block, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
      if (written)
        this.blockStatusWritten.set(cached.metadata.uid!, { over: cached.metadata.resourceVersion!, status });
      this.metrics.inc('blockWrites');
    });
    let changedUnderUs = false;
    for (const block of plan.finalize) {
      this.assertMayWrite();
      if (!(await this.dropFinalizer(blocks.find((b) => b.metadata.name === block)!))) changedUnderUs = true;
    }
    for (const block of plan.deleteBlocks) {
      this.assertMayWrite();
      await ignoreNotFound(
        this.custom.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: BLOCK_PLURAL,
          namespace,
          name: block,
        }),
      );
    }
    for (const event of [...plan.events, ...refused]) {
      this.assertMayWrite();
      await this.record(worklist, event);
    }

    // An item ConfigMap can go at any time: looked at again while the Worklist runs.
    if (read && !plan.status.completionTime) this.queue.addAfter(key, CONFIGMAP_TTL_MS);
    // A Block that changed since we read it (a last report landed) is looked at again at once.
    if (changedUnderUs) this.queue.addAfter(key, 100);
    if (plan.requeueAfterMs !== undefined) this.queue.addAfter(key, plan.requeueAfterMs + 100);
    if (plan.throttled) {
      this.metrics.inc('throttled');
      this.queue.addAfter(key, this.limits.waitMs(key));
    }
    // A Block waiting out the grace period for its pod to show up is looked at again after it.
    if (blocks.some((b) => b.metadata.labels?.[POD_LABEL] && !podPhases.has(b.metadata.labels[POD_LABEL]))) {
      this.queue.addAfter(key, 2000);
    }
  }

  /**
   * Writes a Worklist's status if it changed. The mutex: a replace carries the resourceVersion
   * read, so a stale view fails with 409. True when it wrote.
   */
  private async writeStatus(key: string, worklist: Worklist, status: WorklistStatus): Promise<boolean> {
    if (sameJson(worklist.status, status)) return false;
    await this.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: WORKLIST_PLURAL,
      namespace: worklist.metadata.namespace!,
      name: worklist.metadata.name!,
      body: { ...worklist, status },
    });
    this.writtenOver.set(key, worklist.metadata.resourceVersion!);
    return true;
  }

  private assertMayWrite(): void {
    if (this.options.mayWrite && !this.options.mayWrite())
      throw new Error('not the leader any more: not writing');
  }

  /** Counts what the plan did; returns an Event for each malformed report seen for the first time. */
  private judgeReports(worklist: Worklist, plan: Plan, blocks: readonly Block[]): WorklistEvent[] {
    const before = worklist.status ?? {};
    this.metrics.inc('assignments', plan.assigned);
    this.metrics.inc('reclaims', plan.reclaimed.length);
    this.metrics.inc('completedItems', (plan.status.completedItems ?? 0) - (before.completedItems ?? 0));
    this.metrics.inc('failedItems', (plan.status.failedItems ?? 0) - (before.failedItems ?? 0));
    // A report stays in its Block's spec: count a stale one once, when its Block's generation is
    // new to us. A Block seen for the first time (after a restart, say) only sets the mark: its
    // report may have been folded long ago.
    const seen = new Map(blocks.map((b) => [b.metadata.name!, b]));
    const events: WorklistEvent[] = [];
    for (const r of plan.reports) {
      const uid = seen.get(r.block)!.metadata.uid!;
      const judged = this.reportsJudged.get(uid);
      if (r.outcome === 'stale' && judged !== undefined && judged !== r.generation) {
        this.metrics.inc('staleReports');
        this.log(
          `block ${worklist.metadata.namespace}/${r.block}: ignored a report for a range it no longer holds`,
        );
      }
      if (r.outcome === 'malformed' && this.refusedReports.get(uid) !== r.generation) {
        this.refusedReports.set(uid, r.generation);
        this.metrics.inc('malformedReports');
        const message = `block ${r.block}: its report was ignored (${r.problem}); its range goes back to the pool when its lease runs out`;
        this.log(`${worklist.metadata.namespace}/${worklist.metadata.name}: ${message}`);
        events.push({ type: 'Warning', reason: 'ReportRefused', message });
      }
    }
    for (const b of blocks) this.reportsJudged.set(b.metadata.uid!, b.metadata.generation ?? 0);
    return events;
  }

  /**
   * Removes our finalizer, only if the Block is still the one whose last report was folded: a
   * JSON patch that tests its resourceVersion (a report that landed since would otherwise be
   * lost with the Block). False when it changed: look again.
   */
  private async dropFinalizer(b: Block): Promise<boolean> {
    const finalizers = b.metadata.finalizers ?? [];
    if (!finalizers.includes(BLOCK_FINALIZER)) return true;
    try {
      await this.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: BLOCK_PLURAL,
          namespace: b.metadata.namespace!,
          name: b.metadata.name!,
          body: [
            { op: 'test', path: '/metadata/resourceVersion', value: b.metadata.resourceVersion },
            {
              op: 'replace',
              path: '/metadata/finalizers',
              value: finalizers.filter((f) => f !== BLOCK_FINALIZER),
            },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return true;
      // A failed test op: 422 Unprocessable (409 when the server reads it as a conflict).
      if (err instanceof ApiException && (err.code === 422 || err.code === 409)) return false;
      throw err;
    }
  }

  /** An Event on the Worklist, as kubectl describe shows them. Best effort: a lost Event loses no work. */
  private async record(w: Worklist, e: WorklistEvent): Promise<void> {
    const now = new Date(this.now());
    try {
      await this.core.createNamespacedEvent({
        namespace: w.metadata.namespace!,
        body: {
          metadata: { generateName: `${w.metadata.name}.`, namespace: w.metadata.namespace },
          involvedObject: {
            apiVersion: API_VERSION,
            kind: 'Worklist',
            name: w.metadata.name,
            namespace: w.metadata.namespace,
            uid: w.metadata.uid,
            resourceVersion: w.metadata.resourceVersion,
          },
          type: e.type,
          reason: e.reason,
          message: e.message,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: CONTROLLER_NAME, host: this.options.identity },
          reportingComponent: REPORTING_COMPONENT,
          reportingInstance: this.options.identity ?? '',
        },
      });
      this.metrics.inc('events');
    } catch (err) {
      this.log(
        `could not record Event ${e.reason} on ${w.metadata.namespace}/${w.metadata.name}: ${explain(err).message}`,
      );
    }
  }

  /** A ConfigMap source's item count, and what keeps its items from being read or handed out. */
  private async readSource(
    namespace: string,
    source: WorklistSpecSourceConfigMap,
  ): Promise<{ count?: number; source: SourceState }> {
    const key = itemsKey(source);
    const [cm, limits] = await Promise.all([
      this.readConfigMap(namespace, source.name),
      // Optional: a limit the controller may not read (namespaced credentials) is no limit.
      this.readConfigMap(SYSTEM_NAMESPACE, LIMITS_CONFIGMAP).catch((err: unknown) => {
        this.log(`cannot read the limits ConfigMap: ${explain(err).message}`);
        return undefined;
      }),
    ]);
    const text = cm?.data?.[key];

    return {
      count: text === undefined ? undefined : itemLines(text).length,
      source: {
        problem: !cm
          ? {
              reason: 'ConfigMapMissing',
              message: `ConfigMap ${source.name} is not found: workers cannot read the items; create it again with the same lines under key ${key}`,
            }
          : text === undefined
            ? {
                reason: 'ConfigMapKeyMissing',
                message: `ConfigMap ${source.name} has no key ${key}: workers cannot read the items; add it, one item per line`,
              }
            : undefined,
        maxBlocks: maxBlocksPerWorklist(limits?.data),
      },
    };
  }

  /**
   * A ConfigMap by `get`, at most once per CONFIGMAP_TTL_MS: no watch on every ConfigMap of the
   * cluster for the few that hold items. Undefined when it does not exist.
   */
  private async readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    const key = `${namespace}/${name}`;
    const hit = this.configMaps.get(key);
    if (hit && this.now() - hit.at < CONFIGMAP_TTL_MS) return hit.cm;
    let cm: V1ConfigMap | undefined;
    try {
      cm = await this.core.readNamespacedConfigMap({ name, namespace });
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
    }
    this.configMaps.set(key, { at: this.now(), cm });
    return cm;
  }
}

/** The parts of ResourceQuotas that can keep a worker out: Blocks and pods. */
export function quotaUses(quotas: readonly V1ResourceQuota[]): QuotaUse[] {
  return quotas.flatMap((q) =>
    QUOTA_RESOURCES.flatMap((resource) => {
      const hard = Number(q.status?.hard?.[resource]);
      const used = Number(q.status?.used?.[resource] ?? 0);
      return Number.isFinite(hard) ? [{ quota: q.metadata!.name!, resource, hard, used }] : [];
    }),
  );
}

/** The call's result, or undefined when the object is gone (404). */
async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 404)) throw err;
    return undefined;
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
