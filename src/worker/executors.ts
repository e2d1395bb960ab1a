import { ENV, WORKER_GRACE_PERIOD_MS } from '../api/names.js';
import { MAX_REPORT_RANGES } from '../ledger/limits.js';
import { RangeSet } from '../ledger/range-set.js';
import type { Progress } from './heartbeat.js';
import { substitute } from './items.js';
import { runBlock, runItem, type Outcome, type RunOptions } from './run.js';

/** A range as the controller assigned it (the Block's status). */
export interface Assignment {
  index: number;
  size: number;
  token: number;
  attempt: number;
}

export interface ExecuteResult {
  /** The range was cut short before its report would outgrow MAX_REPORT_RANGES: give back the rest. */
  cutShort: boolean;
}

/**
 * Runs the user's command on a range, adding outcomes to `progress`. Once `signal` aborts
 * (SIGTERM) it starts nothing new; running commands get the grace period. Once the range is
 * lost it starts nothing new and stops running commands at once.
 */
export interface Executor {
  execute(range: Assignment, progress: Progress, signal: AbortSignal): Promise<ExecuteResult>;
}

export interface ExecutorOptions {
  command: readonly string[];
  /** The item at an offset. */
  item: (offset: number) => string;
  log: (line: string) => void;
  /** After SIGTERM, how long running commands may go on (default 20 s). */
  gracePeriodMs?: number;
}

export interface PerItemOptions extends ExecutorOptions {
  /** Items run at once. */
  jobs: number;
  /** Prefix each output line with the item and a tab. */
  tag?: boolean;
  /** Processes an item in-process instead of running the command: for benchmarks and tests. */
  execute?: (item: string, offset: number) => Promise<boolean>;
}

export interface PerBlockOptions extends ExecutorOptions {
  /** The Worklist's name, for the command's environment. */
  worklist: string;
  /** The Worklist's block size: the most items one command gets (default: the whole range). */
  blockSize?: number;
}

/** The command once per item, `jobs` at a time. */
export class PerItemExecutor implements Executor {
  constructor(private readonly o: PerItemOptions) {}

  async execute(range: Assignment, p: Progress, signal: AbortSignal): Promise<ExecuteResult> {
    // Where to stop, read before each item: the worker may yield the rest to an idle one.
    const end = () => Math.min(range.index + range.size, p.end);
    let next = range.index;
    let running = 0;
    let cutShort = false;
    const stop = stopSwitch(signal, p, this.o.gracePeriodMs);
    const run = runOptions(signal, p, stop.kill, this.o.log);
    const runOne = async (): Promise<void> => {
      while (next < end() && !signal.aborted && !p.lost.aborted && !cutShort) {
        // Every outcome may add a range to the report: stop short of what a report may hold
        // (scattered failures), give back the rest and take another range. The slot is
        // taken before waiting, so runners waiting together cannot overshoot.
        if (p.done.ranges.length + p.failed.ranges.length + running + 1 > MAX_REPORT_RANGES) {
          cutShort = true;
          break;
        }
        running++;
        if (!(await p.stillOurs(signal)) || signal.aborted || cutShort || next >= end()) {
          running--;
          break;
        }
        const offset = next++;
        p.cursor = next;
        const value = this.o.item(offset);
        const outcome: Outcome = this.o.execute
          ? (await this.o.execute(value, offset))
            ? 'done'
            : 'failed'
          : await runItem(substitute(this.o.command, value, offset), {
              ...run,
              tag: this.o.tag ? value : undefined,
            });
        const point = RangeSet.span(offset, offset);
        if (outcome === 'done') p.done = p.done.union(point);
        if (outcome === 'failed') p.failed = p.failed.union(point);
        running--;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.o.jobs) }, runOne));
    } finally {
      stop.dispose();
    }
    return { cutShort };
  }
}

/**
 * The command once per block of the range (the Worklist's `blockSize` items, fewer where the
 * range ends), in order, the block's items on its stdin: a range of several blocks is several
 * batches, so a worker that asks for five seconds of work still hands its command one block. A
 * `teamtask:done N` line marks the block's first N done; exit 0 completes the block, non-zero
 * fails what was not marked done, and the next block runs.
 */
export class PerBlockExecutor implements Executor {
  constructor(private readonly o: PerBlockOptions) {}

  async execute(range: Assignment, p: Progress, signal: AbortSignal): Promise<ExecuteResult> {
    const blockSize = Math.max(1, this.o.blockSize ?? range.size);
    // Where to stop, read before each block: the worker may yield the rest to an idle one.
    const end = () => Math.min(range.index + range.size, p.end);
    const stop = stopSwitch(signal, p, this.o.gracePeriodMs);
    let cutShort = false;
    try {
      for (let start = range.index; start < end(); start += blockSize) {
        // A block may add a done and a failed range to the report: stop short of what a report
        // may hold (scattered failures), give back the rest and take another range.
        if (p.done.ranges.length + p.failed.ranges.length + 2 > MAX_REPORT_RANGES) {
          cutShort = true;
          break;
        }
        if (!(await p.stillOurs(signal)) || signal.aborted || start >= end()) break;
        const size = Math.min(blockSize, end() - start);
        // All of the block starts at once: the worker may still yield only what comes after it.
        p.cursor = start + size;
        if ((await this.runBatch(start, size, range.attempt, p, signal, stop.kill)) === 'interrupted') break;
      }
    } finally {
      stop.dispose();
    }
    return { cutShort };
  }

  private async runBatch(
    index: number,
    size: number,
    attempt: number,
    p: Progress,
    signal: AbortSignal,
    kill: AbortSignal,
  ): Promise<Outcome> {
    const whole = RangeSet.span(index, index + size - 1);
    const before = p.done;
    const items = Array.from({ length: size }, (_, i) => this.o.item(index + i));
    const env = {
      [ENV.WORKLIST]: this.o.worklist,
      [ENV.BLOCK_INDEX]: String(index),
      [ENV.BLOCK_SIZE]: String(size),
      [ENV.ATTEMPT]: String(attempt),
    };
    const progress = (n: number) => {
      if (n > 0) p.done = before.union(RangeSet.span(index, index + Math.min(n, size) - 1));
    };
    const outcome = await runBlock(
      this.o.command,
      items,
      env,
      progress,
      runOptions(signal, p, kill, this.o.log),
    );
    if (outcome === 'done') p.done = p.done.union(whole);
    if (outcome === 'failed') p.failed = p.failed.union(whole.subtract(p.done));
    return outcome;
  }
}

export function executorFor(o: PerItemOptions & PerBlockOptions & { perBlock?: boolean }): Executor {
  return o.perBlock ? new PerBlockExecutor(o) : new PerItemExecutor(o);
}

/**
 * Running commands are stopped when the grace period after SIGTERM is over, or at once when
 * the range is no longer ours.
 */
function stopSwitch(signal: AbortSignal, p: Progress, gracePeriodMs = WORKER_GRACE_PERIOD_MS) {
  const kill = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    graceTimer = setTimeout(() => kill.abort(), gracePeriodMs);
  };
  const onLost = () => kill.abort();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  if (p.lost.aborted) onLost();
  else p.lost.addEventListener('abort', onLost, { once: true });
  return {
    kill: kill.signal,
    dispose: () => {
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      p.lost.removeEventListener('abort', onLost);
    },
  };
}

function runOptions(
  signal: AbortSignal,
  p: Progress,
  kill: AbortSignal,
  log: (line: string) => void,
): RunOptions {
  return {
    // A failure while stopping may be our own signal's doing: not held against the item.
    stopping: () => signal.aborted || p.lost.aborted,
    kill,
    log,
    onFailure: (why) => (p.lastFailure = why),
  };
}
