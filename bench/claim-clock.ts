import type { Block } from '../src/api/v1alpha1/index.js';

/**
 * Claim latency as a watcher of Blocks sees it: from the moment a Block asks for a range (it was
 * created, its worker reported its range complete, or its worker switched to its next range) to
 * the moment its status holds a range it did not have (as its range or its next one). Both ends
 * are watch events received by the same process, so their lag cancels out. With next ranges, a
 * claim is off the worker's path: what it waits is `IdleClock`'s to say.
 */
export class ClaimClock {
  /** Milliseconds from asking to getting, one per ask answered. */
  readonly samples: number[] = [];
  /** Every range token a Block's status showed, each once: the ranges handed out. */
  readonly tokens = new Set<number>();
  private readonly asking = new Map<string, number>();
  private readonly held = new Map<string, { current?: number; next?: number }>();

  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', block: Block, nowMs: number): void {
    const name = block.metadata.name!;
    const status = block.status;
    if (type === 'DELETED' || status?.phase === 'Drained' || status?.phase === 'Lost') {
      // Nothing more to hand out (or not to this worker): not a claim that waited.
      this.asking.delete(name);
      if (type === 'DELETED') this.held.delete(name);
      return;
    }
    const had = this.held.get(name) ?? {};
    if (status?.phase === 'Ready' && status.token !== undefined) {
      const now = [status.token, status.next?.token].filter((t): t is number => t !== undefined);
      const fresh = now.filter((t) => !this.tokens.has(t));
      this.held.set(name, { current: status.token, next: status.next?.token });
      if (fresh.length) {
        fresh.forEach((t) => this.tokens.add(t));
        const since = this.asking.get(name);
        if (since !== undefined) this.samples.push(nowMs - since);
        this.asking.delete(name);
        return;
      }
    }
    if (this.asking.has(name)) return;
    const report = block.spec.report;
    const asks =
      had.current === undefined ||
      (report?.token === had.current && report.complete === true) ||
      (report?.token !== undefined && report.token === had.next && report.finished?.token === had.current);
    if (asks) this.asking.set(name, nowMs);
  }
}

/**
 * Worker idle time: per worker, from the end of a range's last item to the start of the next
 * range's first item, as the worker's own item function sees it (one item at a time). The worker
 * says when a range starts (its onRange hook): ranges of several blocks, and a next range right
 * after the current one, are not told apart by their offsets.
 */
export class IdleClock {
  readonly samples: number[] = [];
  /** Time spent in the item function, summed, and the items timed: what an item really took here. */
  busyMs = 0;
  items = 0;
  private last: { range: number; end: number } | undefined;
  private current = 0;

  /** The worker starts a range (WorkerOptions.onRange). */
  readonly rangeStarted = (range: { token: number }): void => {
    this.current = range.token;
  };

  /** Wraps an item function: the same function, timed. */
  wrap<T extends unknown[]>(
    fn: (item: string, offset: number, ...rest: T) => Promise<boolean>,
    now: () => number = () => performance.now(),
  ) {
    return async (item: string, offset: number, ...rest: T): Promise<boolean> => {
      const range = this.current;
      const start = now();
      if (this.last && this.last.range !== range) this.samples.push(start - this.last.end);
      try {
        return await fn(item, offset, ...rest);
      } finally {
        const end = now();
        this.busyMs += end - start;
        this.items++;
        this.last = { range, end };
      }
    };
  }
}

/** The p-th percentile (0–100) by nearest rank; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
