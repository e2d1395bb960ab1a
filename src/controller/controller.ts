import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Block, Worklist, WorklistSpecSourceConfigMap } from '../api/v1alpha1/index.js';
import { LIMITS_CONFIGMAP, SYSTEM_NAMESPACE, upstreamBlockName } from '../api/names.js';
import { effectiveSpec } from '../api/defaults.js';
import { countItems } from '../api/source.js';
import { explain, isApiError } from '../kube/errors.js';
import { REMOTE_CALL_TIMEOUT_MS, withTimeout } from '../kube/other-cluster.js';
import { TeamtaskClient, type ResourceClient } from '../kube/teamtask-client.js';
import { Applier } from './apply.js';
import { orphanPlan, ownBlocks } from './block-status.js';
import { Caches } from './caches.js';
import { NewestBlocks, ReportMarks, WriteExpectations, type Judged } from './expectations.js';
import { FirstSeen } from './first-seen.js';
import { parentView } from '../ledger/upstream.js';
import { Metrics } from './metrics.js';
import { workerLiveness } from './pods.js';
import { quotaUses } from './quotas.js';
import { WorkQueue } from './queue.js';
import { AssignmentLimits } from './rate-limit.js';
import { ParentReader, REMOTE_POLL_MS, RemoteParents } from './remote.js';
import {
  reconcile,
  refusedReportEvent,
  type Observed,
  type ObservedUpstream,
  type Plan,
} from './reconcile.js';
import {
  CONFIGMAP_TTL_MS,
  parentState,
  sourceState,
  usableUpstreamBlock,
  type SourceState,
} from './source.js';

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

/** Where a secondary's reports upward go: its parent, and the parent namespace's Blocks (in the parent's cluster). */
interface UpstreamTarget {
  readonly parent: Worklist;
  readonly blocks: ResourceClient<Block>;
  /** The parent is in another cluster (spec.source.worklist.kubeconfigSecret). */
  readonly elsewhere: boolean;
}

export const DEFAULT_LIMITS = { qps: 100, burst: 200, worklistQps: 50, worklistBurst: 100 };
/**
 * Worklists reconciled at once, as kube-controller-manager's --concurrent-job-syncs: a pass
 * mostly waits on the API server, so more than the cores; a secondary's workers wait for its
 * pass while other Worklists' run (docs/benchmarks.md, 2026-12-04).
 */
export const DEFAULT_RECONCILE_WORKERS = 5;
/** A Block changed under a finalizer removal (a last report landed): look again this soon. */
const CHANGED_UNDER_US_MS = 100;

/**
 * The I/O shell around reconcile(): informers (caches.ts) feed a keyed queue of Worklist keys;
 * each sync observes (caches, the item ConfigMap), asks reconcile() for a plan, and applies it
 * (apply.ts: the ledger under its resourceVersion precondition, then Blocks, finalizers,
 * Events), then requeues when the plan says. The decisions are all in pure code.
 */
export class Controller {
  readonly metrics: Metrics;
  private readonly queue = new WorkQueue();
  private readonly core: CoreV1Api;
  private readonly client: TeamtaskClient;
  private readonly caches: Caches;
  private readonly remote: RemoteParents;
  private readonly applier: Applier;
  private readonly expectations = new WriteExpectations();
  private readonly marks = new ReportMarks();
  private readonly upstreamReports = new NewestBlocks();
  private readonly firstSeen = new FirstSeen();
  private synced = false;
  private stopped = false;
  private readonly limits: AssignmentLimits;
  /** ConfigMaps read lately (item sources, the limits), by namespace/name. */
  private readonly configMaps = new Map<string, { at: number; cm: V1ConfigMap | undefined }>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    kc: KubeConfig,
    private readonly options: ControllerOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    this.limits = new AssignmentLimits(options.limits ?? DEFAULT_LIMITS, this.now);
    this.metrics = new Metrics(() => ({
      queueDepth: this.queue.length,
      worklists: this.caches.worklists.list().length,
      leader: this.synced && (options.mayWrite?.() ?? true),
    }));
    this.core = kc.makeApiClient(CoreV1Api);
    this.client = new TeamtaskClient(kc);
    const reader = new ParentReader(this.core, this.now);
    this.remote = new RemoteParents(
      this.now,
      (key) => this.queue.add(key),
      (w) => reader.read(w),
    );
    this.caches = new Caches(kc, options.namespace, this.log);
    this.applier = new Applier(kc, this.expectations, this.metrics, {
      mayWrite: options.mayWrite,
      identity: options.identity,
      log: this.log,
      now: this.now,
    });
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
    await this.caches.start(
      (key) => this.queue.add(key),
      (uid) => {
        this.marks.forgetBlock(uid);
        this.expectations.forgetBlock(uid);
        this.upstreamReports.forgetBlock(uid);
        this.firstSeen.forgetBlock(uid);
      },
    );
    this.synced = !this.stopped;
  }

  /** Starts reconciling (the caller leads, if it elects): every cached Worklist, then every change. */
  lead(): void {
    for (const w of this.caches.worklists.list())
      this.queue.add(`${w.metadata.namespace}/${w.metadata.name}`);
    for (let i = 0; i < (this.options.workers ?? DEFAULT_RECONCILE_WORKERS); i++) void this.work();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.shutDown();
    await this.caches.stop();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const requeueAfterMs = await this.sync(key);
        this.queue.forget(key);
        if (requeueAfterMs !== undefined) this.queue.addAfter(key, requeueAfterMs);
      } catch (err) {
        // Every error requeues, rate limited: a conflict (someone wrote the ledger since we read
        // it) is expected and only counted; the rest are logged.
        this.metrics.inc('syncErrors');
        if (isApiError(err, 409)) this.metrics.inc('conflicts');
        else this.log(`sync ${key} failed: ${explain(err).message}`);
        this.queue.addRateLimited(key);
      } finally {
        this.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
        this.queue.done(key);
      }
    }
  }

  /** One pass over one Worklist: observe → reconcile → apply. Returns when to look again. */
  private async sync(key: string): Promise<number | undefined> {
    this.metrics.inc('syncs');
    const [namespace, name] = key.split('/') as [string, string];
    const named = this.caches.blocks.list(namespace).filter((b) => b.spec.worklist === name);
    const cached = this.caches.worklists.get(name, namespace);
    if (!cached) {
      this.limits.forget(key);
      this.expectations.forgetWorklist(key);
      const plan = orphanPlan(named);
      await this.applier.writeBlockStatuses(namespace, named, plan.blockStatuses);
      return (await this.applier.removeFinalizers(named, plan.finalize)) ? undefined : CHANGED_UNDER_US_MS;
    }
    // Never a plan from a Worklist older than our own last write (it could hand the Blocks stale
    // ranges), and never a wait for the watch to bring it: the write's own answer serves.
    const worklist = this.expectations.current(key, cached);
    // A parent elsewhere that no read has answered since this controller started: nothing to plan
    // from (not even that it is unreachable); the first answer asks for a pass.
    if (worklist.spec.source.worklist?.kubeconfigSecret && !this.remote.read(worklist)) return undefined;

    const { observed, target } = await this.observe(
      key,
      structuredClone(worklist),
      ownBlocks(worklist, named),
    );
    const plan = reconcile(observed, new Date(this.now()));
    const after = await this.apply(key, observed, plan, target);
    // No watch reaches a parent in another cluster: a pass this often starts the next poll of it
    // while running (a poll that brings news asks for a pass of its own).
    const polling = worklist.spec.source.worklist?.kubeconfigSecret && !plan.status.completionTime;
    return polling ? Math.min(after ?? Infinity, REMOTE_POLL_MS) : after;
  }

  /**
   * Everything reconcile() looks at, from the caches and the item ConfigMap (and a parent in
   * another cluster, as last polled); for a secondary, where its reports upward go.
   */
  private async observe(
    key: string,
    worklist: Worklist,
    blocks: Block[],
  ): Promise<{ observed: Observed; target?: UpstreamTarget }> {
    const namespace = worklist.metadata.namespace!;
    // A ConfigMap source is looked at while the Worklist runs (it may be deleted under it, which
    // the admission policy cannot prevent either), and its item count is fixed once the ledger
    // has it: a ConfigMap edited later changes nothing.
    const configMap = worklist.spec.source.configMap;
    const read =
      configMap && !worklist.status?.completionTime ? await this.readSource(namespace, configMap) : undefined;
    const pods = new Map(
      this.caches.pods.list(namespace).map((p) => [p.metadata!.name!, p.status?.phase] as const),
    );
    // A secondary's Block here: its worker is dead once the secondary is gone from the cache.
    const workers = workerLiveness(blocks, pods, this.now(), (key) => {
      const [ns, name] = key.split('/') as [string, string];
      return this.caches.worklists.get(name, ns) !== undefined;
    });
    const budget = this.limits.budget(key);
    const secondary = worklist.spec.source.worklist ? this.observeParent(worklist) : undefined;
    const observed: Observed = {
      worklist,
      blocks,
      deadWorkers: workers.dead,
      recheckWorkersAfterMs: workers.recheckAfterMs,
      totalItems:
        worklist.status?.totalItems ??
        countItems(worklist.spec.source) ??
        read?.count ??
        (secondary?.source.problem ? undefined : secondary?.parent?.status?.totalItems),
      quotas: quotaUses(this.caches.quotas.list(namespace)),
      assignmentBudget: budget,
      // Read only by a throttled plan, which spent the whole budget.
      assignmentWaitMs: this.limits.waitMs(key, budget),
      source: read?.source ?? secondary?.source,
      upstream: secondary?.upstream,
      ...(secondary ? { seenAt: this.firstSeen.of(blocks, this.now()) } : {}),
    };
    return { observed, target: secondary?.target };
  }

  /**
   * A secondary's parent and its own Block in the parent's namespace: from the caches (our own
   * last report upward where the cache has not caught up with it), or as last polled from the
   * parent's cluster when it is another (remote.ts). No upstream at all while the parent is missing, unreachable, or
   * this Worklist's own ancestor.
   */
  private observeParent(w: Worklist): {
    parent?: Worklist;
    source: SourceState;
    upstream?: ObservedUpstream;
    target?: UpstreamTarget;
  } {
    const elsewhere = w.spec.source.worklist!.kubeconfigSecret !== undefined;
    // Elsewhere: read at least once (sync waits for it).
    const { parent, problem, block, blocks } = elsewhere ? this.remote.read(w)! : this.cachedParent(w);
    const notStarted = parent && parent.status?.totalItems === undefined && !problem;
    const source: SourceState = {
      problem:
        problem ??
        (notStarted
          ? {
              reason: 'ParentNotStarted',
              message: `parent Worklist ${parent.metadata.namespace}/${parent.metadata.name} has no items counted yet: waiting for its controller`,
            }
          : undefined),
    };
    if (!parent || problem || !blocks) return { parent, source };
    const usable = usableUpstreamBlock(block, parent);
    return {
      parent,
      source,
      upstream: {
        block: usable && this.upstreamReports.current(usable),
        parentLeaseMs: effectiveSpec(parent.spec).leaseSeconds * 1000,
        ...parentView(parent, usable),
      },
      target: { parent, blocks, elsewhere },
    };
  }

  /** A parent in this cluster, from the caches. */
  private cachedParent(w: Worklist): ReturnType<typeof parentState> & {
    block?: Block;
    blocks?: ResourceClient<Block>;
  } {
    const { parent, problem } = parentState(w, (ns, name) => this.caches.worklists.get(name, ns));
    if (!parent || problem) return { parent, problem };
    const ns = parent.metadata.namespace!;
    return {
      parent,
      block: this.caches.blocks.get(upstreamBlockName(w.metadata.namespace!, w.metadata.name!), ns),
      blocks: this.client.blocks(ns),
    };
  }

  /** Writes the plan; returns when to look again. */
  private async apply(
    key: string,
    o: Observed,
    plan: Plan,
    target: UpstreamTarget | undefined,
  ): Promise<number | undefined> {
    const { worklist, blocks } = o;
    await this.applier.writeLedger(key, worklist, plan.status);
    // The ledger is written: what the plan did now counts.
    this.limits.take(key, plan.assigned);
    if (plan.upstream && target) {
      const written = await this.writeUpstream(worklist, target, plan.upstream);
      if (written) this.upstreamReports.wrote(written);
    }
    const judged = this.marks.judge(plan.reports, blocks);
    this.count(worklist, plan, judged);
    await this.applier.writeBlockStatuses(worklist.metadata.namespace!, blocks, plan.blockStatuses);
    const unchanged = await this.applier.removeFinalizers(blocks, plan.finalize);
    await this.applier.deleteBlocks(worklist.metadata.namespace!, plan.deleteBlocks);
    const refused = judged.refused.map(refusedReportEvent);
    for (const e of refused)
      this.log(`${worklist.metadata.namespace}/${worklist.metadata.name}: ${e.message}`);
    await this.applier.recordEvents(worklist, [...plan.events, ...refused]);
    if (!unchanged) return Math.min(CHANGED_UNDER_US_MS, plan.requeueAfterMs ?? Infinity);
    return plan.requeueAfterMs;
  }

  /**
   * The report upward. To a parent in another cluster, only while this cluster answers too (a
   * secondary cut off from its own workers must not keep renewing its parent's lease: its range
   * then goes back to the parent in time), and never failing the pass: the secondary's own
   * workers get their ranges whatever the other cluster does.
   */
  private async writeUpstream(
    w: Worklist,
    t: UpstreamTarget,
    plan: NonNullable<Plan['upstream']>,
  ): Promise<Block | undefined> {
    if (!t.elsewhere) return this.applier.writeUpstream(w, t.parent, t.blocks, plan, false);
    const key = `${w.metadata.namespace}/${w.metadata.name}`;
    try {
      await withTimeout(
        this.client.worklists(w.metadata.namespace!).get(w.metadata.name!),
        REMOTE_CALL_TIMEOUT_MS,
        'reading the secondary in its own cluster',
      );
      const written = await withTimeout(
        this.applier.writeUpstream(w, t.parent, t.blocks, plan, true),
        REMOTE_CALL_TIMEOUT_MS,
        "writing the secondary's report on its parent's cluster",
      );
      this.remote.wrote(w);
      return written;
    } catch (err) {
      this.log(`${key}: no report upward this pass: ${explain(err).message}`);
      return undefined;
    }
  }

  /** What the plan did, in the metrics. */
  private count(worklist: Worklist, plan: Plan, judged: Judged): void {
    const before = worklist.status ?? {};
    this.metrics.inc('assignments', plan.assigned);
    this.metrics.inc('stealAsks', plan.stealAsks);
    this.metrics.inc('reclaims', plan.reclaimed.length);
    this.metrics.inc('completedItems', (plan.status.completedItems ?? 0) - (before.completedItems ?? 0));
    this.metrics.inc('failedItems', (plan.status.failedItems ?? 0) - (before.failedItems ?? 0));
    this.metrics.inc('staleReports', judged.stale.length);
    this.metrics.inc('malformedReports', judged.refused.length);
    if (plan.throttled) this.metrics.inc('throttled');
    const ns = worklist.metadata.namespace;
    for (const r of judged.stale)
      this.log(`block ${ns}/${r.block}: ignored a report for a range it no longer holds`);
  }

  /** A ConfigMap source's item count and state (source.ts), from ConfigMaps read at most every CONFIGMAP_TTL_MS. */
  private async readSource(
    namespace: string,
    source: WorklistSpecSourceConfigMap,
  ): Promise<{ count?: number; source: SourceState }> {
    const [cm, limits] = await Promise.all([
      this.readConfigMap(namespace, source.name),
      // Optional: a limit the controller may not read (namespaced credentials) is no limit.
      this.readConfigMap(SYSTEM_NAMESPACE, LIMITS_CONFIGMAP).catch((err: unknown) => {
        this.log(`cannot read the limits ConfigMap: ${explain(err).message}`);
        return undefined;
      }),
    ]);
    return sourceState(source, cm, limits?.data);
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
