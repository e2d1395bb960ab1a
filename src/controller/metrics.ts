/** The controller's Prometheus metrics: counters it bumps, gauges read when scraped, one histogram. */

const COUNTERS = {
  syncs: 'Worklist reconciles run',
  syncErrors: 'reconciles that failed and were requeued (conflicts included)',
  conflicts: 'ledger writes refused with 409 Conflict (someone wrote first): looked at again',
  ledgerWrites: 'Worklist status (ledger) writes',
  blockWrites: 'Block status writes',
  assignments: 'ranges handed to Blocks',
  completedItems: 'items folded into the ledger as completed',
  failedItems: 'items that used their last attempt',
  reclaims: 'ranges taken back from a dead worker, a deleted Block or an expired lease',
  staleReports: 'worker reports ignored because their fencing token was not the current one',
  malformedReports: 'worker reports ignored because a range string in them does not parse',
  events: 'Events recorded on Worklists',
  throttled: 'reconciles in which the assignment rate limits held back a range',
  stealAsks: 'asks to a worker to yield the unstarted tail of its range to an idle one (tail stealing)',
} as const;

export type CounterName = keyof typeof COUNTERS;

/** Upper bounds in seconds, as client-go's workqueue uses for its durations. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  readonly counts = BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.counts[i]!++;
    });
  }
}

export class Metrics {
  readonly counters = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0])) as Record<
    CounterName,
    number
  >;
  readonly reconcileDuration = new Histogram();

  constructor(private readonly gauges: () => { queueDepth: number; worklists: number; leader: boolean }) {}

  inc(name: CounterName, by = 1): void {
    this.counters[name] += by;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const [name, help] of Object.entries(COUNTERS)) {
      const metric = `teamtask_controller_${snake(name)}_total`;
      out.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} counter`);
      out.push(`${metric} ${this.counters[name as CounterName]}`);
    }
    const g = this.gauges();
    const gauge = (name: string, help: string, value: number) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    gauge('teamtask_controller_queue_depth', 'Worklist keys waiting to be reconciled', g.queueDepth);
    gauge('teamtask_controller_worklists', 'Worklists in the cache', g.worklists);
    gauge('teamtask_controller_leader', '1 while this process may write', g.leader ? 1 : 0);
    const h = this.reconcileDuration;
    const metric = 'teamtask_controller_reconcile_duration_seconds';
    out.push(`# HELP ${metric} time of one reconcile, writes included`, `# TYPE ${metric} histogram`);
    BUCKETS.forEach((le, i) => out.push(`${metric}_bucket{le="${le}"} ${h.counts[i]}`));
    out.push(
      `${metric}_bucket{le="+Inf"} ${h.count}`,
      `${metric}_sum ${h.sum}`,
      `${metric}_count ${h.count}`,
    );
    return `${out.join('\n')}\n`;
  }
}

const snake = (s: string) => s.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`);

/** Reads one sample from Prometheus text (for tests and benchmarks). */
export function sample(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.slice(metric.length + 1));
}
