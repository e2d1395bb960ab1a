import type { LineChart } from './charts.js';
import type { CpuUse } from './cpu.js';
import type { IndexedJobRun } from './indexed-job.js';
import { costOf, itemFunction, type ItemFunction } from './item-functions.js';
import type { QueueRun } from './redis-queue.js';
import type { TaskRun } from './tasks.js';
import type { CommandRun, TeamtaskRun } from './teamtask.js';
import type { TreeRun } from './tree.js';
import type { GatewayRun } from './gateway.js';

/** Everything one `npm run bench` measured: what the JSON file holds. */
export interface BenchResults {
  date: string;
  plan: string;
  machine: { cpus: number; memoryGiB: number; node: string };
  seconds: number;
  /** False while the run goes on (the JSON is saved after every scenario) or when it was cut short. */
  complete: boolean;
  teamtask: TeamtaskRun[];
  jobs: IndexedJobRun[];
  commands: CommandRun[];
  /** The Redis work queue runs (absent in results from before it was measured). */
  queues?: QueueRun[];
  reclaimSeconds: number[];
  /** Half-second tasks through --per-block and xargs (absent in results from before). */
  tasks?: TaskRun[];
  scale?: TeamtaskRun;
  /** Many worker clients on one Worklist (absent in results from before it was measured). */
  crowd?: TeamtaskRun;
  /** The same clients on one Worklist and over secondaries of one parent (absent in results from before). */
  tree?: { one: TreeRun; tree: TreeRun };
  /** Workers through the gateway and with a kubeconfig (absent in results from before). */
  gateway?: GatewayRun[];
  /** etcd's database size at the end, as kube-apiserver reports it. */
  etcdBytes?: number;
}

const WHY = 'docs/benchmarks.md';
const fmt = (x: number | undefined, digits = 0) =>
  x === undefined || Number.isNaN(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits });
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${fmt(x * 100, 2)}%`);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);

/** Teamtask's items/s over another system's, for the same function and worker count. */
export function ratios(
  r: BenchResults,
  fn: ItemFunction['name'],
  ours: 'teamtask' | 'teamtask-command' | 'teamtask-per-block',
  theirs: 'pod-per-block' | 'static-split' | 'xargs' | 'redis-queue',
): Array<{ workers: number; ratio: number }> {
  const pool: Array<{ system: string; fn: string; workers: number; itemsPerSecond: number }> = [
    ...r.teamtask,
    ...r.jobs,
    ...r.commands,
    ...(r.queues ?? []),
  ];
  const find = (system: string, workers: number) =>
    pool.find((x) => x.system === system && x.fn === fn && x.workers === workers)?.itemsPerSecond;
  return perWorkers(
    pool.map((x) => x.workers),
    (w) => find(ours, w),
    (w) => find(theirs, w),
  );
}

/**
 * The best any scheduler could do against the static split, per worker count: items/s with the
 * summed cost spread evenly over the workers and nothing else to pay, over the static split's
 * measured items/s. A target above it cannot be met by this run's items, however they are split.
 */
export function idealRatios(
  r: BenchResults,
  fn: ItemFunction['name'],
): Array<{ workers: number; ratio: number }> {
  const ideal = (workers: number) => {
    const t = r.teamtask.find((x) => x.fn === fn && x.workers === workers);
    return t ? t.items / (costOf(itemFunction(fn), 0, t.items) / workers / 1000) : undefined;
  };
  return perWorkers(
    r.teamtask.map((t) => t.workers),
    ideal,
    (w) => r.jobs.find((j) => j.system === 'static-split' && j.fn === fn && j.workers === w)?.itemsPerSecond,
  );
}

/** The half-second tasks/s of --per-block over those of xargs, per worker count. */
export function taskRatios(runs: readonly TaskRun[]): Array<{ workers: number; ratio: number }> {
  const rate = (system: TaskRun['system'], workers: number) =>
    runs.find((t) => t.system === system && t.workers === workers)?.tasksPerSecond;
  return perWorkers(
    runs.map((t) => t.workers),
    (w) => rate('teamtask-per-block', w),
    (w) => rate('xargs', w),
  );
}

/** Ours over theirs (to two decimals) for each worker count both measured, fewest workers first. */
function perWorkers(
  counts: number[],
  ours: (workers: number) => number | undefined,
  theirs: (workers: number) => number | undefined,
): Array<{ workers: number; ratio: number }> {
  return [...new Set(counts)]
    .sort((a, b) => a - b)
    .flatMap((workers) => {
      const a = ours(workers);
      const b = theirs(workers);
      return a && b ? [{ workers, ratio: Math.round((a / b) * 100) / 100 }] : [];
    });
}

interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
  why: string;
}

/** Every Teamtask run: the matrix, the scale run and the crowd run. */
const allTeamtaskRuns = (r: BenchResults): TeamtaskRun[] => [
  ...r.teamtask,
  ...(r.scale ? [r.scale] : []),
  ...(r.crowd ? [r.crowd] : []),
];

/** The issue's targets, each with what was measured and whether it was met. */
export function targets(r: BenchResults): Target[] {
  const zero = r.teamtask.filter((t) => t.fn === 'zero');
  const all = allTeamtaskRuns(r);
  const widest = zero.reduce<TeamtaskRun | undefined>(
    (a, t) => (!a || t.workers > a.workers ? t : a),
    undefined,
  );
  const ppb = ratios(r, 'zero', 'teamtask', 'pod-per-block');
  const perItem = ratios(r, '1ms', 'teamtask-command', 'xargs');
  const perBlock = ratios(r, '1ms', 'teamtask-per-block', 'xargs');
  const queue = ratios(r, '1ms', 'teamtask', 'redis-queue');
  // The issue's worker counts, 16 and 64; a plan without them (the smoke one): every count it ran.
  const at = (xs: Array<{ workers: number; ratio: number }>, fn: string) => {
    const issue = xs.filter((x) => x.workers === 16 || x.workers === 64);
    return (issue.length ? issue : xs).map((x) => ({ ...x, fn }));
  };
  const inProcess = [
    ...at(ratios(r, '1ms', 'teamtask', 'static-split'), '1 ms'),
    ...at(ratios(r, '100ms', 'teamtask', 'static-split'), '100 ms'),
  ];
  const heavy = at(ratios(r, 'heavy', 'teamtask', 'static-split'), 'heavy');
  const heavyIdeal = at(idealRatios(r, 'heavy'), 'heavy');
  const halfSecond = taskRatios(r.tasks ?? []);
  const writes = [...zero, ...(r.scale ? [r.scale] : []), ...(r.crowd ? [r.crowd] : [])];
  const overBlocks = max(all.map((t) => t.maxLiveBlocks - t.workers));
  const p99 = max(
    all.flatMap((t) => (t.claimP99Ms === undefined || Number.isNaN(t.claimP99Ms) ? [] : [t.claimP99Ms])),
  );
  const cpu = max(writes.map((t) => t.controllerCpuPer1000Items));
  const most = max(r.teamtask.map((t) => t.workers));
  const idle = max(
    r.teamtask
      .filter((t) => t.workers === most)
      .flatMap((t) => (t.idleP99Ms === undefined || Number.isNaN(t.idleP99Ms) ? [] : [t.idleP99Ms])),
  );
  const list = (xs: Array<{ workers: number; ratio: number }>) =>
    xs.map((x) => `${x.workers}w ${x.ratio}×`).join(', ');
  const row = (target: string, measured: string, met: boolean | undefined, anchor: string): Target => ({
    target,
    measured,
    met,
    why: `[why](../../${WHY}#${anchor})`,
  });
  const ratioRow = (
    target: string,
    xs: Array<{ workers: number; ratio: number }>,
    least: number,
    anchor: string,
  ) => row(target, list(xs) || 'n/a', xs.length ? xs.every((x) => x.ratio >= least) : undefined, anchor);
  return [
    row(
      '≤ 2.2 API writes per block',
      writes.map((t) => `${t.workers}w ${t.writesPerBlock}`).join(', '),
      writes.length ? writes.every((t) => t.writesPerBlock <= 2.2) : undefined,
      'api-writes-per-block',
    ),
    row(
      `≤ 1% conflicts per claim at ${widest?.workers ?? 64} workers`,
      pct(widest?.conflictsPerClaim),
      widest ? widest.conflictsPerClaim <= 0.01 : undefined,
      'conflicts',
    ),
    row(
      'live Blocks ≤ workers + 2',
      `at most workers + ${fmt(overBlocks)}`,
      overBlocks === undefined ? undefined : overBlocks <= 2,
      'objects',
    ),
    row(
      `Worklist ≤ 20 KB with ${r.crowd?.workers ?? 256} worker clients`,
      `${r.crowd ? `${fmt(r.crowd.maxWorklistBytes / 1024, 1)} KB with ${r.crowd.workers}; ` : ''}${fmt((max(all.map((t) => t.maxWorklistBytes)) ?? NaN) / 1024, 1)} KB at most in any run`,
      all.length ? all.every((t) => t.maxWorklistBytes <= 20 * 1024) : undefined,
      'objects',
    ),
    row(
      'claim p99 ≤ 150 ms',
      `${fmt(p99, 1)} ms (worst run)`,
      p99 === undefined ? undefined : p99 <= 150,
      'claim-latency',
    ),
    row(
      `worker idle between ranges p99 ≤ 20 ms at ${most ?? 64} workers`,
      `${fmt(idle, 1)} ms (worst run)`,
      idle === undefined ? undefined : idle <= 20,
      'idle-time',
    ),
    row(
      'reclaim ≤ 3 s after the pod is gone',
      r.reclaimSeconds.map((s) => `${s} s`).join(', ') || 'n/a',
      r.reclaimSeconds.length ? r.reclaimSeconds.every((s) => s <= 3) : undefined,
      'reclaim',
    ),
    ratioRow('≥ 20× pod-per-block Indexed Job, zero-cost items', ppb, 20, 'against-an-indexed-job'),
    ratioRow(
      '≥ 0.9× local baseline (xargs), 1 ms items, same workers: --per-block',
      perBlock,
      0.9,
      'against-xargs',
    ),
    ratioRow('… and with --jobs W, where node starts each process', perItem, 0.9, 'against-xargs'),
    ratioRow(
      '--per-block, blocks of 0.5 s: ≥ 0.95× xargs -P with the same tasks',
      halfSecond,
      0.95,
      'half-second-tasks',
    ),
    row(
      'in-process, 1 ms and 100 ms items, 16 and 64 workers: ≥ 0.9× the static split',
      inProcess.map((x) => `${x.fn} ${x.workers}w ${x.ratio}×`).join(', ') || 'n/a',
      inProcess.length ? inProcess.every((x) => x.ratio >= 0.9) : undefined,
      'against-the-static-split',
    ),
    row(
      'heavy-tailed items, 16 and 64 workers: ≥ 1.2× the static split',
      heavy.length ? `${list(heavy)} (the most any split could reach here: ${list(heavyIdeal)})` : 'n/a',
      heavy.length ? heavy.every((x) => x.ratio >= 1.2) : undefined,
      'against-the-static-split',
    ),
    ratioRow(
      "≥ 1× the Redis work queue's items/s, 1 ms items in blocks, same workers",
      queue,
      1,
      'against-a-redis-work-queue',
    ),
    row(
      'controller ≤ 0.05 CPU-s per 1,000 items (blocks of 1,000)',
      `${fmt(cpu, 4)} at most`,
      cpu === undefined ? undefined : cpu <= 0.05,
      'controller-cost',
    ),
    ...(r.scale
      ? [
          row(
            `${fmt(r.scale.items)} items, blocks of ${fmt(r.scale.blockSize)}, ${r.scale.workers} workers: completes, each item once`,
            `${fmt(r.scale.seconds)} s, ${fmt(r.scale.itemsPerSecond)} items/s, ${r.scale.notOnce.length ? 'NOT exactly once' : 'each item once'}`,
            r.scale.notOnce.length === 0,
            'scale',
          ),
        ]
      : []),
    ...treeTargets(r.tree, row),
  ];
}

/** Issue 16's: the parent's object and write rate with its workers behind secondaries, and the pace. */
function treeTargets(
  t: BenchResults['tree'],
  row: (target: string, measured: string, met: boolean | undefined, anchor: string) => Target,
): Target[] {
  if (!t) return [];
  const clients = `${t.tree.workers} worker clients over ${t.tree.secondaries} secondaries`;
  const pace = t.tree.itemsPerSecond / t.one.itemsPerSecond;
  // The parent's writes are its Worklist's and its Blocks': since the pipelined protocol a claim
  // is a Block write, and a ledger write serves every Block of a pass (docs/benchmarks.md).
  const withBlocks = (r: TreeRun) => (r.worklistWrites + r.blockWrites) / r.seconds;
  const rate = withBlocks(t.one) ? withBlocks(t.tree) / withBlocks(t.one) : undefined;
  const ledgerRate = t.one.worklistWritesPerSecond
    ? t.tree.worklistWritesPerSecond / t.one.worklistWritesPerSecond
    : undefined;
  return [
    row(
      `parent ≤ 20 KB with ${clients}`,
      `${fmt(t.tree.maxWorklistBytes / 1024, 1)} KB (one Worklist with them all: ${fmt(t.one.maxWorklistBytes / 1024, 1)} KB)`,
      t.tree.maxWorklistBytes <= 20 * 1024,
      'secondary-worklists',
    ),
    row(
      "the parent's write rate (its Worklist's and its Blocks') ≤ 1/10 of one Worklist's with the same clients",
      `${fmt(withBlocks(t.tree), 1)}/s against ${fmt(withBlocks(t.one), 1)}/s (${fmt(rate, 3)}×); its Worklist alone ${fmt(t.tree.worklistWritesPerSecond, 2)}/s against ${fmt(t.one.worklistWritesPerSecond, 2)}/s (${fmt(ledgerRate, 3)}×)`,
      rate === undefined ? undefined : rate <= 0.1,
      'secondary-worklists',
    ),
    row(
      "items/s ≥ 1× one Worklist's with the same clients, each item once",
      `${fmt(t.tree.itemsPerSecond)} against ${fmt(t.one.itemsPerSecond)} (${fmt(pace, 2)}×), ${t.tree.notOnce.length || t.one.notOnce.length ? 'NOT exactly once' : 'each item once'}`,
      pace >= 1 && t.tree.notOnce.length === 0,
      'secondary-worklists',
    ),
  ];
}

const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** The processes named first in the CPU table, in this order; any other follows by name. */
const CPU_FIRST = ['bench', 'controller', 'kube-apiserver', 'etcd'];

/**
 * Where the CPU went in each run that measured it (Teamtask, the static split, the Redis queue):
 * the machine's busy cores and each process's, the processes as columns (those first, then the
 * rest by name).
 */
export function cpuTable(r: BenchResults): { head: string[]; rows: string[][] } {
  const runs: Array<{ system: string; fn: string; workers: number; cpu?: CpuUse }> = [
    ...allTeamtaskRuns(r),
    ...r.jobs.filter((j) => j.system === 'static-split'),
    ...(r.queues ?? []),
    ...(r.tree ? [r.tree.one, r.tree.tree].map((t) => ({ ...t, fn: 'zero' })) : []),
  ].filter((x) => x.cpu);
  const names = [...new Set(runs.flatMap((x) => Object.keys(x.cpu!.byProcess)))].sort(
    (a, b) =>
      (CPU_FIRST.indexOf(a) + 1 || Infinity) - (CPU_FIRST.indexOf(b) + 1 || Infinity) || a.localeCompare(b),
  );
  return {
    head: ['system', 'items', 'workers', 'machine cores busy', ...names],
    rows: runs.map((x) => [
      x.system,
      x.fn,
      String(x.workers),
      `${fmt(x.cpu!.machineCores, 2)} of ${x.cpu!.cores}`,
      ...names.map((n) => fmt(x.cpu!.byProcess[n], 2)),
    ]),
  };
}

/** The results as Markdown: targets first, then every run. */
export function renderMarkdown(r: BenchResults, plots: string[]): string {
  const tt = (fn: string, w: number) => r.teamtask.find((t) => t.fn === fn && t.workers === w);
  const job = (system: string, fn: string, w: number) =>
    r.jobs.find((t) => t.system === system && t.fn === fn && t.workers === w);
  const cmd = (system: string, fn: string, w: number) =>
    r.commands.find((t) => t.system === system && t.fn === fn && t.workers === w);
  const queue = (fn: string, w: number) => r.queues?.find((t) => t.fn === fn && t.workers === w);
  const keys = [...new Map(r.teamtask.map((t) => [`${t.fn}/${t.workers}`, t])).values()];
  return [
    `# Benchmark ${r.date} (${r.plan})`,
    '',
    `\`npm run bench\` on ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; the local control plane (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok); one controller process; ${fmt(r.seconds)} s in all. How each figure is measured, and why a target is missed: [${WHY}](../../${WHY}).`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured', 'met', ''],
      targets(r).map((t) => [
        t.target,
        t.measured,
        t.met === undefined ? 'not measured' : t.met ? 'yes' : '**no**',
        t.met === false ? t.why : '',
      ]),
    ),
    '',
    '## Throughput (items/s)',
    '',
    "Teamtask: in-process worker clients, the item a sleep of its cost. Indexed Jobs: kwok pods that run for the summed cost of their items. Redis work queue: in-process workers leasing blocks of the same size from a Redis list (the Kubernetes documentation's work queue pattern). One machine: a process per item (`sleep COST`), Teamtask as one `kubectl teamtask work --jobs W` (node starts each process), as W worker clients with `--per-block` (a shell per block starts them), and `xargs -P W`.",
    '',
    table(
      [
        'items',
        'workers',
        'Teamtask',
        'pod per block',
        'static split',
        'Redis work queue',
        'Teamtask --jobs, a process per item',
        'Teamtask --per-block, a process per item',
        'xargs -P',
        'Teamtask ÷ pod per block',
        'Teamtask ÷ Redis',
        '--jobs ÷ xargs',
        '--per-block ÷ xargs',
      ],
      keys.map((k) => {
        const a = tt(k.fn, k.workers);
        const b = job('pod-per-block', k.fn, k.workers);
        const c = job('static-split', k.fn, k.workers);
        const d = cmd('teamtask-command', k.fn, k.workers);
        const e = cmd('xargs', k.fn, k.workers);
        const f = cmd('teamtask-per-block', k.fn, k.workers);
        const q = queue(k.fn, k.workers);
        return [
          k.fn,
          String(k.workers),
          fmt(a?.itemsPerSecond),
          fmt(b?.itemsPerSecond),
          fmt(c?.itemsPerSecond),
          fmt(q?.itemsPerSecond),
          fmt(d?.itemsPerSecond),
          fmt(f?.itemsPerSecond),
          fmt(e?.itemsPerSecond),
          a && b ? `${fmt(a.itemsPerSecond / b.itemsPerSecond, 2)}×` : 'n/a',
          a && q ? `${fmt(a.itemsPerSecond / q.itemsPerSecond, 2)}×` : 'n/a',
          d && e ? `${fmt(d.itemsPerSecond / e.itemsPerSecond, 2)}×` : 'n/a',
          f && e ? `${fmt(f.itemsPerSecond / e.itemsPerSecond, 2)}×` : 'n/a',
        ];
      }),
    ),
    '',
    '## Teamtask runs: API cost, objects, latency, controller',
    '',
    table(
      [
        'items',
        'workers',
        'n',
        'block',
        'writes/block',
        '409s/claim',
        '429s',
        'claim p50 / p99 ms',
        'idle p50 / p99 ms',
        'item ms (cost)',
        'in items',
        'steal asks',
        'max live Blocks',
        'max Worklist KB',
        'controller CPU-s / 1000 blocks',
        'peak RSS MiB',
        'each item once',
      ],
      allTeamtaskRuns(r).map((t) => [
        t.fn,
        String(t.workers),
        fmt(t.items),
        fmt(t.blockSize),
        fmt(t.writesPerBlock, 2),
        pct(t.conflictsPerClaim),
        fmt(t.api.throttled),
        `${fmt(t.claimP50Ms, 1)} / ${fmt(t.claimP99Ms, 1)}`,
        `${fmt(t.idleP50Ms, 1)} / ${fmt(t.idleP99Ms, 1)}`,
        `${fmt(t.itemMs, 2)} (${fmt(costOf(itemFunction(t.fn), 0, t.items) / t.items, 2)})`,
        t.busyShare === undefined ? 'n/a' : pct(t.busyShare),
        fmt(t.stealAsks),
        String(t.maxLiveBlocks),
        fmt(t.maxWorklistBytes / 1024, 1),
        fmt(t.controllerCpuPer1000Blocks, 2),
        fmt(t.controllerPeakRssMiB),
        t.notOnce.length ? '**no**' : 'yes',
      ]),
    ),
    '',
    '## Indexed Job runs: API cost',
    '',
    table(
      ['system', 'items', 'workers', 'pods', 'seconds', 'API writes', 'writes/pod'],
      r.jobs.map((j) => [
        j.system,
        j.fn,
        String(j.workers),
        fmt(j.pods),
        fmt(j.seconds, 1),
        fmt(j.api.writes),
        fmt(j.writesPerPod, 1),
      ]),
    ),
    '',
    '## Redis work queue runs',
    '',
    table(
      ['items', 'workers', 'n', 'block', 'seconds', 'Redis commands/block', 'each item once'],
      (r.queues ?? []).map((q) => [
        q.fn,
        String(q.workers),
        fmt(q.items),
        fmt(q.blockSize),
        fmt(q.seconds, 1),
        fmt(q.commandsPerBlock, 2),
        q.notOnce.length ? '**no**' : 'yes',
      ]),
    ),
    '',
    '## Half-second tasks',
    '',
    table(
      ['system', 'workers', 'tasks', 'seconds', 'tasks/s', 'ideal s'],
      (r.tasks ?? []).map((t) => [
        t.system,
        String(t.workers),
        fmt(t.tasks),
        fmt(t.seconds, 1),
        fmt(t.tasksPerSecond, 1),
        fmt((t.tasks * t.taskSeconds) / t.workers, 1),
      ]),
    ),
    '',
    ...(r.tree
      ? [
          '## Secondary Worklists: the same clients on one Worklist, and over secondaries of one parent',
          '',
          table(
            [
              'run',
              'workers',
              'secondaries',
              'items',
              'blocks',
              'seconds',
              'its ledger complete at (s)',
              'items/s',
              'writes of the shared Worklist',
              'per second',
              'writes of its Blocks',
              'all writes of Worklists and Blocks',
              'of which Worklists / Blocks’ status',
              'ranges handed out / asks to yield',
              'its largest size',
            ],
            [r.tree.one, r.tree.tree].map((t) => [
              t.system === 'teamtask-one' ? 'one Worklist' : 'a parent and its secondaries',
              String(t.workers),
              String(t.secondaries),
              fmt(t.items),
              t.parentBlockSize ? `${fmt(t.blockSize)} (parent ${fmt(t.parentBlockSize)})` : fmt(t.blockSize),
              fmt(t.seconds, 1),
              t.completeSeconds === undefined ? '' : fmt(t.completeSeconds, 1),
              fmt(t.itemsPerSecond),
              fmt(t.worklistWrites),
              fmt(t.worklistWritesPerSecond, 2),
              // A watch that could not resume saw fewer writes than there were.
              `${t.watchBroken ? '≥ ' : ''}${fmt(t.blockWrites)}`,
              `${t.watchBroken ? '≥ ' : ''}${fmt(t.allWrites)}`,
              t.allWorklistWrites === undefined || t.blockStatusWrites === undefined
                ? ''
                : `${fmt(t.allWorklistWrites)} / ${fmt(t.blockStatusWrites)}`,
              t.ranges ? `${fmt(t.ranges.assignments)} / ${fmt(t.ranges.stealAsks)}` : '',
              `${fmt(t.maxWorklistBytes / 1024, 1)} KB`,
            ]),
          ),
          '',
        ]
      : []),
    ...gatewaySection(r.gateway),
    ...((t) =>
      t.rows.length
        ? [
            '## Where the CPU went (cores in use on average while the workers ran)',
            '',
            "`bench` is the benchmark's own process: Teamtask's and the Redis queue's in-process workers, the claim clock, the sampler. The static split's pods are kwok's: no process runs their items.",
            '',
            table(t.head, t.rows),
            '',
          ]
        : [])(cpuTable(r)),
    `Reclaim after a worker pod is deleted: ${r.reclaimSeconds.map((s) => `${s} s`).join(', ') || 'n/a'}. etcd database at the end: ${r.etcdBytes === undefined ? 'n/a' : `${fmt(r.etcdBytes / 2 ** 20, 1)} MiB`}.`,
    '',
    ...plots.map((p) => `![${p}](${p})`),
    '',
  ].join('\n');
}

/** Workers through the gateway against the same with a kubeconfig: items/s, and what a block cost the gateway. */
function gatewaySection(runs: GatewayRun[] | undefined): string[] {
  if (!runs?.length) return [];
  const direct = (w: number) => runs.find((x) => x.system === 'teamtask' && x.workers === w)?.itemsPerSecond;
  return [
    '## Through the gateway',
    '',
    'The same in-process workers, items and counts; only the Block calls differ: HTTPS to a `kubectl teamtask serve` process (default limits, one token for all of them), or the API server with a kubeconfig. Per block: the requests the gateway answered, and the API server calls they cost it.',
    '',
    table(
      [
        'workers',
        'items',
        'block',
        'kubeconfig items/s',
        'gateway items/s',
        'gateway ÷ kubeconfig',
        'requests/block',
        'API calls/block',
        '429s',
        'each item once',
      ],
      runs
        .filter((g) => g.system === 'teamtask-gateway')
        .map((g) => [
          String(g.workers),
          fmt(g.items),
          fmt(g.blockSize),
          fmt(direct(g.workers)),
          fmt(g.itemsPerSecond),
          `${fmt(g.itemsPerSecond / (direct(g.workers) ?? NaN), 2)}×`,
          fmt(g.requestsPerBlock, 2),
          fmt(g.apiCallsPerBlock, 2),
          fmt(g.throttled),
          runs.every((x) => x.workers !== g.workers || x.notOnce.length === 0) ? 'yes' : '**no**',
        ]),
    ),
    '',
  ];
}

/** The plots: items/s against workers, one per item function; live objects against time in the scale run. */
export function chartsOf(r: BenchResults): Array<{ file: string; chart: LineChart }> {
  const systems: Array<{
    label: string;
    runs: Array<{ fn: string; workers: number; itemsPerSecond: number }>;
  }> = [
    { label: 'Teamtask', runs: r.teamtask },
    { label: 'pod per block', runs: r.jobs.filter((j) => j.system === 'pod-per-block') },
    { label: 'static split', runs: r.jobs.filter((j) => j.system === 'static-split') },
    { label: 'Redis work queue', runs: r.queues ?? [] },
    {
      label: 'Teamtask --jobs',
      runs: r.commands.filter((c) => c.system === 'teamtask-command'),
    },
    {
      label: 'Teamtask --per-block',
      runs: r.commands.filter((c) => c.system === 'teamtask-per-block'),
    },
    { label: 'xargs -P', runs: r.commands.filter((c) => c.system === 'xargs') },
  ];
  const fns = [...new Set(r.teamtask.map((t) => t.fn))];
  const charts: Array<{ file: string; chart: LineChart }> = fns.map((fn) => ({
    file: `${r.date}-throughput-${fn}.png`,
    chart: {
      title: `Items/s against workers: ${fn === 'zero' ? 'zero-cost' : fn === 'heavy' ? 'heavy-tailed' : fn} items`,
      xLabel: 'workers',
      yLabel: 'items/s',
      xLog2: true,
      yLog10: true,
      series: systems.map((s) => ({
        label: s.label,
        points: s.runs.filter((x) => x.fn === fn).map((x) => ({ x: x.workers, y: x.itemsPerSecond })),
      })),
    },
  }));
  if (r.scale?.timeline?.length) {
    charts.push({
      file: `${r.date}-objects.png`,
      chart: {
        title: `Live objects: ${fmt(r.scale.items)} items, ${r.scale.workers} workers`,
        xLabel: 'seconds',
        yLabel: 'Blocks / Worklist KB',
        xLog2: false,
        yLog10: false,
        series: [
          { label: 'live Blocks', points: r.scale.timeline.map((s) => ({ x: s.t, y: s.liveBlocks })) },
          {
            label: 'Worklist KB',
            points: r.scale.timeline.map((s) => ({ x: s.t, y: Math.round(s.worklistBytes / 102.4) / 10 })),
          },
        ],
      },
    });
  }
  return charts;
}
