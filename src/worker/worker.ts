import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  BLOCK_FINALIZER,
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type BlockSpecReport,
  type Worklist,
} from '../api/v1alpha1/index.js';
import { apiStatus, explain, HintedError, isApiError } from '../kube/errors.js';
import { retrying } from '../kube/retry.js';
import { notFound } from '../worklist/read.js';
import { MAX_REPORT_RANGES } from '../ledger/limits.js';
import { RangeSet } from '../ledger/range-set.js';
import { POD_LABEL } from '../controller/pods.js';
import { pollDelay } from './poll.js';
import { itemAt, itemLines, substitute } from './items.js';
import { runBlock, runItem } from './run.js';

export interface WorkerOptions {
  namespace: string;
  worklist: string;
  /** The Block this worker creates and owns. */
  block: string;
  /** Who works here, for people: pod name or user@host. */
  identity: string;
  /** The pod this worker runs in, if any: the controller watches it to tell a dead worker. */
  pod?: string;
  command: readonly string[];
  /** Items run at once (per-item mode). */
  jobs: number;
  /** Runs the command once per block, the items on its stdin, instead of once per item. */
  perBlock?: boolean;
  /** Prefixes every output line of an item with the item and a tab (per-item mode). */
  tag?: boolean;
  /** After SIGTERM, how long running commands may go on before they are stopped (default 20 s). */
  gracePeriodMs?: number;
  /** Processes an item in-process instead of running the command: for benchmarks and tests. */
  execute?: (item: string, offset: number) => Promise<boolean>;
  pollMs?: number;
  reportEveryMs?: number;
  log?: (line: string) => void;
}

export interface WorkerResult {
  completed: number;
  failed: number;
  /** True when the worker stopped because the Worklist is finished (not because it was stopped). */
  finished: boolean;
}

const api = { group: GROUP, version: VERSION };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The worker runtime: creates its Block, waits for a range without watching anything shared
 * (it polls its own Block), runs the command per item, reports progress cumulatively with the
 * range's fencing token, and exits 0 once the Worklist is finished. On abort (SIGTERM) it starts
 * nothing new, lets running commands finish within the grace period, reports them, gives back
 * the rest, and exits 0.
 */
export class Worker {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly log: (line: string) => void;

  constructor(
    kc: KubeConfig,
    private readonly o: WorkerOptions,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.log = o.log ?? (() => {});
  }

  async run(signal: AbortSignal): Promise<WorkerResult> {
    const worklist = await this.readWorklist();
    const lines = worklist.spec.source.configMap ? await this.readLines(worklist) : undefined;
    await this.createBlock(worklist, signal);
    this.log(`block ${this.o.block} working on worklist ${this.o.worklist}`);
    let lastToken: number | undefined;
    let ackedLoss: number | undefined;
    let idlePolls = 0;
    const totals = { completed: 0, failed: 0, finished: false };
    try {
      while (!signal.aborted) {
        const status = (await this.getBlock()).status;
        if (status?.phase === 'Drained') {
          this.log(`worklist ${this.o.worklist} is finished`);
          totals.finished = true;
          break;
        }
        if (status?.phase === 'Lost' && status.observedGeneration !== ackedLoss) {
          // Our lease ran out (we were slow, or the controller was away): say we are alive, which
          // is what brings a Lost Block back. The old token makes it a report on nothing.
          ackedLoss = status.observedGeneration;
          this.log('this Block was marked Lost (its lease ran out): reporting back for new work');
          await this.writeReport({ token: status.token ?? 0, renewTime: new Date().toISOString() });
        }
        if (status?.phase !== 'Ready' || status.token === lastToken) {
          await sleep(pollDelay(idlePolls++, this.o.pollMs ?? 250));
          continue;
        }
        idlePolls = 0;
        lastToken = status.token!;
        const result = await this.processRange(
          worklist,
          lines,
          {
            index: Number(status.index),
            size: Number(status.size),
            token: lastToken,
            attempt: status.attempt ?? 1,
          },
          signal,
        );
        totals.completed += result.done.size;
        totals.failed += result.failed.size;
      }
    } finally {
      await this.deleteBlock();
    }
    return totals;
  }

  private async processRange(
    worklist: Worklist,
    lines: readonly string[] | undefined,
    assigned: { index: number; size: number; token: number; attempt: number },
    signal: AbortSignal,
  ): Promise<{ done: RangeSet; failed: RangeSet }> {
    const { index, size, token } = assigned;
    const whole = RangeSet.span(index, index + size - 1);
    let done = RangeSet.EMPTY;
    let failed = RangeSet.EMPTY;
    let lastFailure: string | undefined;
    let lost = false;
    let cutShort = false;
    const report = (extra: Partial<BlockSpecReport> = {}) =>
      this.writeReport({
        token,
        done: done.toString(),
        failed: failed.toString(),
        ...(lastFailure && !failed.isEmpty ? { message: lastFailure.slice(0, 512) } : {}),
        renewTime: new Date().toISOString(),
        ...extra,
      });
    if (signal.aborted) {
      // Stopped between the poll and now: give the range back untouched.
      await report({ release: true });
      return { done, failed };
    }

    // Running commands are stopped when the grace period after SIGTERM is over, or at once when
    // the range is no longer ours.
    const kill = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      graceTimer = setTimeout(() => kill.abort(), this.o.gracePeriodMs ?? 20_000);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    // Progress while items run: reported when it changed, and at least every third of the lease
    // (the controller folds it, renewing the lease, by the time half the lease is gone). One
    // report at a time, so an old one never lands after a newer one. Each tick also reads the
    // Block: another token, phase Lost, or the Block gone means the range is not ours any more.
    const renewEveryMs = ((worklist.spec.leaseSeconds ?? 60) * 1000) / 3;
    let reported = { done: '', failed: '', at: Date.now() };
    let inFlight: Promise<void> | undefined;
    const tick = () => {
      if (inFlight) return;
      inFlight = (async () => {
        const now = { done: done.toString(), failed: failed.toString(), at: Date.now() };
        if (
          now.done !== reported.done ||
          now.failed !== reported.failed ||
          now.at - reported.at >= renewEveryMs
        ) {
          await report();
          reported = now;
        }
        const b = await this.getBlock().catch((err: unknown) => {
          if (err instanceof BlockGone) return undefined;
          throw err;
        });
        if (b?.status?.token !== token || b.status.phase !== 'Ready') {
          lost = true;
          kill.abort();
        }
      })()
        .catch((err: unknown) => this.log(`progress report failed: ${explain(err).message}`))
        .finally(() => (inFlight = undefined));
    };
    const ticker = setInterval(tick, this.o.reportEveryMs ?? 1000);
    const run = {
      stopping: () => signal.aborted || lost,
      kill: kill.signal,
      log: this.log,
      onFailure: (why: string) => (lastFailure = why),
    };
    const item = (offset: number) => itemAt(worklist.spec.source, offset, lines);

    try {
      if (this.o.perBlock) {
        const items = Array.from({ length: size }, (_, i) => item(index + i));
        const env = {
          TEAMTASK_LIST: this.o.worklist,
          TEAMTASK_WORKLIST: this.o.worklist,
          TEAMTASK_BLOCK_INDEX: String(index),
          TEAMTASK_BLOCK_SIZE: String(size),
          TEAMTASK_ATTEMPT: String(assigned.attempt),
        };
        const progress = (n: number) => {
          if (n > 0) done = RangeSet.span(index, index + Math.min(n, size) - 1);
        };
        const outcome = await runBlock(this.o.command, items, env, progress, run);
        if (outcome === 'done') done = whole;
        if (outcome === 'failed') failed = whole.subtract(done);
      } else {
        let next = index;
        let running = 0;
        const runOne = async (): Promise<void> => {
          while (next < index + size && !signal.aborted && !lost) {
            // Every outcome may add a range to the report: stop short of what a report may hold
            // (scattered failures), give back the rest and take another range.
            if (done.ranges.length + failed.ranges.length + running + 1 > MAX_REPORT_RANGES) {
              cutShort = true;
              break;
            }
            const offset = next++;
            running++;
            const value = item(offset);
            const outcome = this.o.execute
              ? (await this.o.execute(value, offset))
                ? 'done'
                : 'failed'
              : await runItem(substitute(this.o.command, value, offset), {
                  ...run,
                  tag: this.o.tag ? value : undefined,
                });
            const point = RangeSet.span(offset, offset);
            if (outcome === 'done') done = done.union(point);
            if (outcome === 'failed') failed = failed.union(point);
            running--;
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, this.o.jobs) }, runOne));
      }
    } finally {
      clearInterval(ticker);
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      await inFlight;
    }
    if (lost) {
      this.log(`lost the range ${whole.toString()} (its lease ran out): abandoning it`);
    } else if (whole.subtract(done).subtract(failed).isEmpty) {
      await report({ complete: true });
    } else if (cutShort && !signal.aborted) {
      this.log(
        `the report on ${whole.toString()} would outgrow ${MAX_REPORT_RANGES} ranges (scattered failures): giving back the rest`,
      );
      await report({ release: true, next: true });
    } else {
      // Stopping (or interrupted): the finalizer keeps the Block until this release is folded,
      // so the worker may delete its Block right after.
      await report({ release: true });
    }
    return { done, failed };
  }

  private async readWorklist(): Promise<Worklist> {
    try {
      return (await this.call('read the Worklist', () =>
        this.custom.getNamespacedCustomObject({
          ...api,
          plural: WORKLIST_PLURAL,
          namespace: this.o.namespace,
          name: this.o.worklist,
        }),
      )) as Worklist;
    } catch (err) {
      throw notFound(err, this.o.namespace, this.o.worklist);
    }
  }

  private async readLines(w: Worklist): Promise<string[]> {
    const source = w.spec.source.configMap!;
    const cm = await this.call('read the items', () =>
      this.core.readNamespacedConfigMap({ name: source.name, namespace: this.o.namespace }),
    );
    return itemLines(cm.data?.[source.key ?? 'items'] ?? '');
  }

  /**
   * Creates the Block, or takes over one of the same name (a restarted pod), clearing its old
   * report. The finalizer keeps it, once deleted, until the controller has folded its last
   * report; the owner reference lets the garbage collector remove it with its Worklist.
   */
  private async createBlock(worklist: Worklist, signal: AbortSignal): Promise<void> {
    const body: Block = {
      apiVersion: API_VERSION,
      kind: 'Block',
      metadata: {
        name: this.o.block,
        labels: {
          'teamtask.dev/worklist': this.o.worklist,
          ...(this.o.pod ? { [POD_LABEL]: this.o.pod } : {}),
        },
        finalizers: [BLOCK_FINALIZER],
        ownerReferences: [
          { apiVersion: API_VERSION, kind: 'Worklist', name: this.o.worklist, uid: worklist.metadata.uid! },
        ],
      },
      spec: { worklist: this.o.worklist, worker: this.o.identity },
    };
    for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        await this.call('create the Block', () =>
          this.custom.createNamespacedCustomObject({
            ...api,
            plural: BLOCK_PLURAL,
            namespace: this.o.namespace,
            body,
          }),
        );
        return;
      } catch (err) {
        if (isApiError(err, 409)) {
          if (!(await this.getBlock()).metadata.deletionTimestamp) {
            await this.patchBlock({ spec: { worker: this.o.identity, report: null } });
            return;
          }
          this.log(`the previous Block ${this.o.block} is being deleted; waiting for it to go`);
          await sleep(500);
          continue;
        }
        const quota =
          err instanceof ApiException &&
          err.code === 403 &&
          /exceeded quota|status unknown for quota/.test(apiStatus(err)?.message ?? '');
        if (!quota || signal.aborted) throw err;
        this.log(
          `a ResourceQuota refuses the Block (${apiStatus(err)?.message}); retrying in ${delay / 1000} s`,
        );
        await sleep(delay);
      }
    }
  }

  private async getBlock(): Promise<Block> {
    try {
      return (await this.call('read the Block', () =>
        this.custom.getNamespacedCustomObject({
          ...api,
          plural: BLOCK_PLURAL,
          namespace: this.o.namespace,
          name: this.o.block,
        }),
      )) as Block;
    } catch (err) {
      if (isApiError(err, 404)) throw new BlockGone(this.o.block, this.o.worklist, this.o.namespace);
      throw err;
    }
  }

  /**
   * Replaces the whole report (a JSON patch, not a merge: a merge would keep a `complete` or
   * `release` of the previous range's report).
   */
  private writeReport(report: BlockSpecReport): Promise<unknown> {
    return this.call('report on the Block', () =>
      this.custom.patchNamespacedCustomObject(
        {
          ...api,
          plural: BLOCK_PLURAL,
          namespace: this.o.namespace,
          name: this.o.block,
          body: [{ op: 'add', path: '/spec/report', value: report }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
  }

  private patchBlock(body: unknown): Promise<unknown> {
    return this.call('update the Block', () =>
      this.custom.patchNamespacedCustomObject(
        { ...api, plural: BLOCK_PLURAL, namespace: this.o.namespace, name: this.o.block, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  /** Every API call: throttling, 5xx and dropped connections are retried, as client-go does. */
  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retrying(what, fn, { log: this.log });
  }

  private async deleteBlock(): Promise<void> {
    try {
      await this.call('delete the Block', () =>
        this.custom.deleteNamespacedCustomObject({
          ...api,
          plural: BLOCK_PLURAL,
          namespace: this.o.namespace,
          name: this.o.block,
        }),
      );
    } catch (err) {
      if (!isApiError(err, 404)) this.log(`could not delete block ${this.o.block}: ${explain(err).message}`);
      return;
    }
    // Gone once the controller folded its last report and let the finalizer go. Waiting keeps a
    // Job's pod alive meanwhile: a pod that ended first could be taken for a dead worker, whose
    // unreported items cost an attempt.
    for (let i = 0; i < 40; i++) {
      try {
        await this.getBlock();
      } catch {
        return;
      }
      await sleep(250);
    }
    this.log(`block ${this.o.block} is still there after 10 s (is the controller running?); exiting anyway`);
  }
}

/** The worker's Block was deleted under it. */
export class BlockGone extends HintedError {
  constructor(block: string, worklist: string, namespace: string) {
    super(
      `Block ${block} was deleted under this worker`,
      `was the Worklist deleted? (kubectl get worklist ${worklist} -n ${namespace})`,
    );
  }
}
