import { describe, expect, it } from 'vitest';
import type { IndexedJobRun } from './indexed-job.js';
import { costOf, itemFunction } from './item-functions.js';
import {
  chartsOf,
  cpuTable,
  idealRatios,
  ratios,
  renderMarkdown,
  targets,
  taskRatios,
  type BenchResults,
} from './report.js';
import type { QueueRun } from './redis-queue.js';
import type { CommandRun, TeamtaskRun } from './teamtask.js';
import type { TreeRun } from './tree.js';

const writes = { writes: 0, conflicts: 0, throttled: 0, byKind: {} };
const teamtask = (fn: TeamtaskRun['fn'], workers: number, over: Partial<TeamtaskRun> = {}): TeamtaskRun => ({
  system: 'teamtask',
  fn,
  workers,
  items: 200_000,
  blockSize: 1000,
  blocks: 200,
  seconds: 10,
  itemsPerSecond: 20_000,
  api: { ...writes, writes: 400 },
  writesPerBlock: 2,
  claims: 200,
  ranges: 200,
  assignments: 200,
  stealAsks: 3,
  conflictsPerClaim: 0,
  claimP50Ms: 20,
  claimP99Ms: 100,
  idleP50Ms: 2,
  idleP99Ms: 12,
  maxLiveBlocks: workers,
  maxWorklistBytes: 4096,
  controllerCpuSeconds: 2,
  controllerCpuPer1000Blocks: 10,
  controllerCpuPer1000Items: 0.01,
  controllerPeakRssMiB: 200,
  notOnce: [],
  ...over,
});
const job = (
  system: IndexedJobRun['system'],
  fn: IndexedJobRun['fn'],
  workers: number,
  itemsPerSecond: number,
) =>
  ({
    system,
    fn,
    workers,
    items: 1000,
    pods: 10,
    seconds: 1,
    itemsPerSecond,
    api: writes,
    writesPerPod: 9,
  }) satisfies IndexedJobRun;
const command = (
  system: CommandRun['system'],
  fn: CommandRun['fn'],
  workers: number,
  itemsPerSecond: number,
) => ({ system, fn, workers, items: 1000, seconds: 1, itemsPerSecond }) satisfies CommandRun;
const queue = (fn: QueueRun['fn'], workers: number, itemsPerSecond: number): QueueRun => ({
  system: 'redis-queue',
  fn,
  workers,
  items: 1000,
  blockSize: 1000,
  seconds: 1,
  itemsPerSecond,
  commandsPerBlock: 4,
  notOnce: [],
});

const results = (over: Partial<BenchResults> = {}): BenchResults => ({
  date: '2026-11-24',
  plan: 'test',
  machine: { cpus: 2, memoryGiB: 24, node: '24.0.0' },
  seconds: 100,
  complete: true,
  teamtask: [
    teamtask('zero', 1, {
      cpu: { cores: 2, machineCores: 1.2, byProcess: { bench: 0.5, controller: 0.2, 'kube-apiserver': 0.4 } },
    }),
    teamtask('zero', 4),
    teamtask('1ms', 1),
  ],
  jobs: [
    job('pod-per-block', 'zero', 1, 500),
    job('pod-per-block', 'zero', 4, 1000),
    job('static-split', 'zero', 1, 900),
  ],
  commands: [
    command('teamtask-command', '1ms', 1, 300),
    command('teamtask-per-block', '1ms', 1, 380),
    command('xargs', '1ms', 1, 400),
  ],
  queues: [queue('zero', 1, 100_000), queue('1ms', 1, 25_000)],
  reclaimSeconds: [0.5, 0.7],
  tasks: [
    {
      system: 'teamtask-per-block',
      workers: 8,
      tasks: 320,
      taskSeconds: 0.5,
      seconds: 21,
      tasksPerSecond: 15.24,
    },
    { system: 'xargs', workers: 8, tasks: 320, taskSeconds: 0.5, seconds: 20.3, tasksPerSecond: 15.76 },
  ],
  scale: teamtask('zero', 100, {
    items: 10_000_000,
    blocks: 10_000,
    timeline: [{ t: 0, liveBlocks: 100, worklistBytes: 9000 }],
  }),
  etcdBytes: 2 ** 24,
  ...over,
});

describe('benchmark report', () => {
  it('divides the half-second tasks/s of --per-block by those of xargs, per worker count', () => {
    expect(taskRatios(results().tasks!)).toEqual([{ workers: 8, ratio: 0.97 }]);
  });

  it('divides Teamtask’s items/s by another system’s, for each worker count both ran', () => {
    expect(ratios(results(), 'zero', 'teamtask', 'pod-per-block')).toEqual([
      { workers: 1, ratio: 40 },
      { workers: 4, ratio: 20 },
    ]);
    expect(ratios(results(), '1ms', 'teamtask-per-block', 'xargs')).toEqual([{ workers: 1, ratio: 0.95 }]);
  });

  it('marks each target met or missed from the measured values', () => {
    const met = (prefix: string) => targets(results()).find((t) => t.target.startsWith(prefix))?.met;
    expect(met('≤ 2.2 API writes per block')).toBe(true);
    expect(met('live Blocks ≤ workers + 2')).toBe(true);
    expect(met('reclaim ≤ 3 s')).toBe(true);
    expect(met('≥ 20× pod-per-block')).toBe(true);
    expect(met('≥ 0.9× local baseline')).toBe(true);
    expect(met('… and with --jobs W')).toBe(false);
    expect(met("≥ 1× the Redis work queue's")).toBe(false);
    expect(
      targets(results({ queues: [queue('1ms', 1, 19_000)] })).find((t) =>
        t.target.startsWith('≥ 1× the Redis'),
      )?.met,
    ).toBe(true);
  });

  it('misses a target when any run misses it, and links the why', () => {
    const r = results({
      teamtask: [teamtask('zero', 1, { writesPerBlock: 3.1, maxLiveBlocks: 4, claimP99Ms: 151 })],
    });
    const missed = targets(r).filter((t) => t.met === false);
    expect(missed.map((t) => t.target)).toEqual(
      expect.arrayContaining([
        '≤ 2.2 API writes per block',
        'live Blocks ≤ workers + 2',
        'claim p99 ≤ 150 ms',
      ]),
    );
    for (const t of missed) expect(t.why).toMatch(/^\[why\]\(\.\.\/\.\.\/docs\/benchmarks\.md#[a-z-]+\)$/);
  });

  it('puts next to the heavy-tailed target the most any split of the same items could reach', () => {
    const items = 12_800;
    const perfect = items / (costOf(itemFunction('heavy'), 0, items) / 16 / 1000);
    const r = results({
      teamtask: [teamtask('heavy', 16, { items })],
      jobs: [job('static-split', 'heavy', 16, perfect / 1.1)],
    });
    expect(idealRatios(r, 'heavy')).toEqual([{ workers: 16, ratio: 1.1 }]);
    const row = targets(r).find((t) => t.target.startsWith('heavy-tailed'))!;
    expect(row.measured).toMatch(/^16w [\d.]+× \(the most any split could reach here: 16w 1\.1×\)$/);
  });

  it('says "not measured" for what a run did not measure', () => {
    const r = results({
      jobs: [],
      commands: [],
      queues: undefined,
      tasks: undefined,
      reclaimSeconds: [],
      scale: undefined,
    });
    const unmeasured = targets(r)
      .filter((t) => t.met === undefined)
      .map((t) => t.target);
    expect(unmeasured).toHaveLength(8);
    expect(renderMarkdown(r, [])).toContain('| not measured |');
  });

  it('tabulates where the CPU went: the benchmark, controller, API server and etcd first, then the rest by name', () => {
    const cpu = (byProcess: Record<string, number>) => ({ cores: 2, machineCores: 1.96, byProcess });
    const r = results({
      teamtask: [
        teamtask('1ms', 64, {
          cpu: cpu({ etcd: 0.2, kwok: 0.01, bench: 0.7, 'kube-apiserver': 0.8, controller: 0.25 }),
        }),
        teamtask('1ms', 16),
      ],
      jobs: [
        { ...job('static-split', '1ms', 64, 40_000), cpu: cpu({ 'kube-apiserver': 0.3, etcd: 0.1 }) },
        { ...job('pod-per-block', '1ms', 64, 9_000), cpu: cpu({ 'kube-apiserver': 1.1 }) },
      ],
      queues: [{ ...queue('1ms', 64, 50_000), cpu: cpu({ bench: 0.4, redis: 0.1 }) }],
      scale: undefined,
    });
    expect(cpuTable(r)).toEqual({
      head: [
        'system',
        'items',
        'workers',
        'machine cores busy',
        'bench',
        'controller',
        'kube-apiserver',
        'etcd',
        'kwok',
        'redis',
      ],
      rows: [
        ['teamtask', '1ms', '64', '1.96 of 2', '0.7', '0.25', '0.8', '0.2', '0.01', 'n/a'],
        ['static-split', '1ms', '64', '1.96 of 2', 'n/a', 'n/a', '0.3', '0.1', 'n/a', 'n/a'],
        ['redis-queue', '1ms', '64', '1.96 of 2', '0.4', 'n/a', 'n/a', 'n/a', 'n/a', '0.1'],
      ],
    });
  });

  it('tabulates the tree runs too: their CPU, and when the shared ledger was complete', () => {
    const cpu = { cores: 2, machineCores: 1.9, byProcess: { bench: 0.6, 'kube-apiserver': 0.9 } };
    const run = (system: TreeRun['system'], seconds: number, completeSeconds: number): TreeRun => ({
      system,
      workers: 400,
      secondaries: system === 'teamtask-one' ? 0 : 8,
      items: 4_000_000,
      blockSize: 1000,
      seconds,
      completeSeconds,
      itemsPerSecond: Math.round(4_000_000 / seconds),
      worklistWrites: 40,
      worklistWritesPerSecond: 0.5,
      blockWrites: 100,
      allWrites: 9000,
      allWorklistWrites: 500,
      blockStatusWrites: 4000,
      ranges: { assignments: 1900, stealAsks: 150 },
      maxWorklistBytes: 4096,
      watchBroken: false,
      cpu,
      notOnce: [],
    });
    const r = results({ tree: { one: run('teamtask-one', 72, 55), tree: run('teamtask-tree', 84, 75) } });
    expect(cpuTable(r).rows.filter((row) => row[0]!.startsWith('teamtask-'))).toEqual([
      ['teamtask-one', 'zero', '400', '1.9 of 2', '0.6', 'n/a', '0.9'],
      ['teamtask-tree', 'zero', '400', '1.9 of 2', '0.6', 'n/a', '0.9'],
    ]);
    // The parent's writes with its Blocks' (140 in 84 s) against one Worklist's (140 in 72 s): 0.857×.
    const rate = targets(r).find((t) => t.target.startsWith("the parent's write rate"))!;
    expect(rate.measured).toBe('1.7/s against 1.9/s (0.857×); its Worklist alone 0.5/s against 0.5/s (1×)');
    expect(rate.met).toBe(false);
    const md = renderMarkdown(r, []);
    expect(md).toMatch(/\| one Worklist \| 400 \| 0 \| 4,000,000 \| 1,000 \| 72 \| 55 \|/);
    expect(md).toMatch(/\| 9,000 \| 500 \/ 4,000 \| 1,900 \/ 150 \| 4 KB \|/);
    expect(md).toMatch(/\| a parent and its secondaries \| 400 \| 8 \| 4,000,000 \| 1,000 \| 84 \| 75 \|/);
  });

  it('renders the tables and the plots as Markdown', () => {
    expect(
      renderMarkdown(
        results(),
        chartsOf(results()).map((c) => c.file),
      ),
    ).toMatchSnapshot();
  });

  it('plots items/s against workers per item function, and live objects over the scale run', () => {
    const charts = chartsOf(results());
    expect(charts.map((c) => c.file)).toEqual([
      '2026-11-24-throughput-zero.png',
      '2026-11-24-throughput-1ms.png',
      '2026-11-24-objects.png',
    ]);
    expect(charts[0]!.chart.series.find((s) => s.label === 'pod per block')!.points).toEqual([
      { x: 1, y: 500 },
      { x: 4, y: 1000 },
    ]);
  });
});
