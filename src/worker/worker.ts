import type { KubeConfig } from '@kubernetes/client-node';
import type { BlockSpecReportFinished, Worklist } from '../api/v1alpha1/index.js';
import { effectiveSpec } from '../api/defaults.js';
import { itemAt } from '../api/source.js';
import { MAX_REPORT_RANGES } from '../ledger/limits.js';
import { RangeSet } from '../ledger/range-set.js';
import { BlockClient, BlockGone, type BlockApi, type BlockClientOptions } from './block-client.js';
import { claim, followed, StartedTokens, type Claim } from './claims.js';
import { executorFor, type Assignment, type Executor } from './executors.js';
import { Heartbeat, type Seen } from './heartbeat.js';
import { pollDelay } from './poll.js';
import { POLL_MAX_MS, RANGE_TARGET_MS } from './timing.js';

export { BlockGone } from './block-client.js';

/** The worker: who and where (its Block: BlockClientOptions), and what it runs. */
export interface WorkerOptions extends BlockClientOptions {
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
  /** Called as a range starts: for benchmarks (a worker's idle time between ranges). */
  onRange?: (range: Assignment) => void;
  pollMs?: number;
  reportEveryMs?: number;
}

export interface WorkerResult {
  completed: number;
  failed: number;
  /** True when the worker stopped because the Worklist is finished (not because it was stopped). */
  finished: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The worker runtime: creates its Block, waits for a range without watching anything shared
 * (it polls its own Block), runs the command per item, reports progress cumulatively with the
 * range's fencing token, and exits 0 once the Worklist is finished. On abort (SIGTERM) it starts
 * nothing new, lets running commands finish within the grace period, reports them, gives back
 * the rest, and exits 0.
 *
 * This is the claim loop; the API calls are BlockClient's, the lease Heartbeat's, and running
 * the command an Executor's.
 */
export class Worker {
  private readonly log: (line: string) => void;
  private readonly api: BlockApi;

  /** `api` replaces the cluster's Block client: the gateway's (`work --server`), or a fake in tests. */
  constructor(
    kc: KubeConfig | undefined,
    private readonly o: WorkerOptions,
    api?: BlockApi,
  ) {
    this.log = o.log ?? (() => {});
    if (!api && !kc) throw new Error('a worker needs a kubeconfig or a Block API');
    this.api = api ?? BlockClient.forCluster(kc!, { ...o, splittable: !o.perBlock, log: this.log });
  }

  /** The name of this worker's Block (known once it is created). */
  get blockName(): string {
    return this.api.name;
  }

  async run(signal: AbortSignal): Promise<WorkerResult> {
    const worklist = await this.api.readWorklist();
    const { source, lines } = await this.api.readItems(worklist);
    const executor = executorFor({
      ...this.o,
      blockSize: worklist.spec.blockSize,
      item: (offset) => itemAt(source, offset, lines),
      log: this.log,
    });
    await this.api.create(worklist, signal);
    this.log(`block ${this.api.name} working on worklist ${this.o.worklist}`);
    const started = new StartedTokens();
    // The range this worker last finished, complete: its Block's next range may follow it at once.
    let finished: BlockSpecReportFinished | undefined;
    // How many items to ask for next: what the last range's pace runs in RANGE_TARGET_MS.
    let rangeSize: number | undefined;
    // The Block's status as a range's last read left it: what to start next, without reading again.
    let seen: Seen | undefined;
    let ackedLoss: number | undefined;
    let idlePolls = 0;
    const totals = { completed: 0, failed: 0, finished: false };
    try {
      while (!signal.aborted) {
        if (!seen) {
          const at = Date.now();
          const block = await this.api.get();
          if (block.metadata.deletionTimestamp) throw await this.api.goneReason();
          seen = { status: block.status ?? {}, at };
        }
        const { status } = seen;
        if (status.phase === 'Drained') {
          this.log(`worklist ${this.o.worklist} is finished`);
          totals.finished = true;
          break;
        }
        if (status.phase === 'Lost' && status.observedGeneration !== ackedLoss) {
          // Our lease ran out (we were slow, or the controller was away): say we are alive, which
          // is what brings a Lost Block back. The old token makes it a report on nothing.
          ackedLoss = status.observedGeneration;
          this.log('this Block was marked Lost (its lease ran out): reporting back for new work');
          await this.api.writeReport({ token: status.token ?? 0, renewTime: new Date().toISOString() });
        }
        const next = claim(status, started, finished);
        if (!next) {
          seen = undefined;
          await sleep(pollDelay(idlePolls++, this.o.pollMs ?? POLL_MAX_MS));
          continue;
        }
        idlePolls = 0;
        started.add(next.range.token);
        this.o.onRange?.(next.range);
        const end = await this.processRange(worklist, executor, next, seen, rangeSize, signal);
        totals.completed += end.done.size;
        totals.failed += end.failed.size;
        finished = end.finished;
        rangeSize = end.rangeSize ?? rangeSize;
        seen = end.seen;
      }
    } catch (err) {
      if (err instanceof BlockGone) throw await this.api.goneReason();
      throw err;
    } finally {
      await this.api.delete();
    }
    return totals;
  }

  /**
   * Runs one range under its heartbeat, then ends it: straight into the Block's next range when
   * the latest read shows one behind this range (its reports carry this one's final report), else
   * with a final report (complete, or a release).
   */
  private async processRange(
    worklist: Worklist,
    executor: Executor,
    { range, finished }: Claim,
    seen: Seen,
    rangeSize: number | undefined,
    signal: AbortSignal,
  ): Promise<RangeEnd> {
    const heartbeat = new Heartbeat(this.api, range, {
      leaseMs: effectiveSpec(worklist.spec).leaseSeconds * 1000,
      everyMs: this.o.reportEveryMs,
      finished,
      rangeSize,
      seen,
      log: this.log,
    });
    if (signal.aborted) {
      // Stopped between the poll and now: give the range back untouched.
      await heartbeat.report({ release: true });
      return { done: heartbeat.done, failed: heartbeat.failed };
    }
    heartbeat.start();
    const startedAt = performance.now();
    let cutShort: boolean;
    try {
      ({ cutShort } = await executor.execute(range, heartbeat, signal));
    } finally {
      await heartbeat.stop();
    }
    const { done, failed } = heartbeat;
    // Its range ends where it yielded the rest to an idle worker, if it did.
    const whole =
      heartbeat.end > range.index ? RangeSet.span(range.index, heartbeat.end - 1) : RangeSet.EMPTY;
    const complete = whole.subtract(done).subtract(failed).isEmpty;
    const final = { token: range.token, done: done.toString(), failed: failed.toString() };
    const pace = complete ? askFor(done.size + failed.size, performance.now() - startedAt) : undefined;
    if (complete && !heartbeat.lost.aborted && !signal.aborted && heartbeat.yieldFrom === undefined) {
      if (!followed(heartbeat.seen, range.token)) await heartbeat.look();
      if (
        followed(heartbeat.seen, range.token) &&
        !heartbeat.lost.aborted &&
        heartbeat.yieldFrom === undefined
      ) {
        return {
          done,
          failed,
          finished: final,
          seen: { status: heartbeat.seen!, at: heartbeat.seenAt },
          rangeSize: pace,
        };
      }
    }
    if (heartbeat.lost.aborted) {
      this.log(
        `the range ${whole.toString()} is not this Block's any more (its lease ran out, or the Block was deleted): abandoning it`,
      );
      return { done, failed };
    }
    if (complete) {
      await heartbeat.report({ complete: true, ...(pace ? { rangeSize: pace } : {}) });
      // Nothing follows a range that yielded, whatever a status shows later (one written late).
      return {
        done,
        failed,
        finished: heartbeat.yieldFrom === undefined ? final : undefined,
        rangeSize: pace,
      };
    }
    if (cutShort && !signal.aborted) {
      this.log(
        `the report on ${whole.toString()} would outgrow ${MAX_REPORT_RANGES} ranges (scattered failures): giving back the rest`,
      );
      await heartbeat.report({ release: true, next: true });
    } else {
      // Stopping (or interrupted): the finalizer keeps the Block until this release is folded,
      // so the worker may delete its Block right after.
      await heartbeat.report({ release: true });
    }
    return { done, failed };
  }
}

/** How a range ended: what it did, and what follows. */
interface RangeEnd {
  done: RangeSet;
  failed: RangeSet;
  /** Set when every item of it was reported: the Block's next range may follow it. */
  finished?: BlockSpecReportFinished;
  /** The Block's status its last read showed, when the worker goes on without reading again. */
  seen?: Seen;
  /** How many items to ask for next, from this range's pace. */
  rangeSize?: number;
}

/**
 * The items to ask for in the next range: what `items` in `ms` make RANGE_TARGET_MS. The
 * controller keeps the answer within the Worklist's blocks (src/ledger/range-size.ts).
 */
const askFor = (items: number, ms: number): number | undefined =>
  items > 0 ? Math.max(1, Math.round((items * RANGE_TARGET_MS) / Math.max(ms, 1))) : undefined;
