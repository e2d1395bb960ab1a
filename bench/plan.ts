import type { ItemFunction } from './item-functions.js';
import type { GatewayPlan } from './gateway.js';
import type { TreePlan } from './tree.js';

/** What one `npm run bench` (or its smoke version in `npm test`) runs. */
export interface BenchPlan {
  label: string;
  functions: ItemFunction['name'][];
  workers: number[];
  /** An ideal run at the mean cost takes this long: sizes the item counts of the slow functions. */
  targetSeconds: number;
  /** Items of a zero-cost run (at least four blocks per worker). */
  zeroCostItems: number;
  /**
   * At most this many pods per worker in a pod-per-block run, and `maxPodsPerBlock` in all: the
   * rate, not the total, is what is compared (one worker's pods run one after another).
   */
  podsPerWorker: number;
  maxPodsPerBlock: number;
  /** At most this many items in the one-process-per-item runs (Teamtask command, xargs). */
  commandItems: number;
  reclaimSamples: number;
  /** Half-second tasks through --per-block and xargs (bench/tasks.ts): worker counts, tasks per worker. */
  tasks?: { workers: number[]; perWorker: number };
  scale?: { items: number; blockSize: number; workers: number };
  /** Many worker clients on one zero-cost Worklist: how large its ledger grows with them all at work. */
  crowd?: { items: number; blockSize: number; workers: number };
  /** The same worker clients on one Worklist, then over secondaries of one parent (bench/tree.ts). */
  tree?: TreePlan;
  /** Workers through the gateway against the same workers with a kubeconfig (bench/gateway.ts). */
  gateway?: GatewayPlan;
}

export const FULL_PLAN: BenchPlan = {
  label: 'full',
  functions: ['zero', '1ms', '100ms', 'heavy'],
  workers: [1, 4, 16, 64],
  targetSeconds: 8,
  zeroCostItems: 200_000,
  podsPerWorker: 25,
  maxPodsPerBlock: 200,
  commandItems: 5000,
  reclaimSamples: 3,
  tasks: { workers: [8, 32], perWorker: 40 },
  scale: { items: 10_000_000, blockSize: 1000, workers: 100 },
  crowd: { items: 5_000_000, blockSize: 1000, workers: 256 },
  // The parent's blocks are 8 of the secondaries': a secondary of 50 workers asks for 400 of its
  // own blocks (8 a worker), which the parent gives as 50 of its.
  tree: { items: 4_000_000, workers: 400, secondaries: 8, blockSize: 1000, parentBlockSize: 8000 },
  // 1 ms items in blocks of 100: about 5 s of work per worker, a Block call every few blocks.
  gateway: { workers: [4, 16], itemsPerWorker: 5000, blockSize: 100, itemMs: 1 },
};

/** The smoke version: every scenario once, small, so `npm test` proves the benchmark still runs. */
export const SMOKE_PLAN: BenchPlan = {
  label: 'smoke',
  functions: ['zero', '1ms', 'heavy'],
  workers: [1, 3],
  targetSeconds: 0.5,
  zeroCostItems: 3000,
  podsPerWorker: 4,
  maxPodsPerBlock: 4,
  commandItems: 60,
  reclaimSamples: 1,
  tasks: { workers: [2], perWorker: 3 },
  scale: { items: 20_000, blockSize: 1000, workers: 4 },
  crowd: { items: 12_000, blockSize: 500, workers: 6 },
  // Eight of a secondary's ranges (3 workers × 8 blocks of 500): each secondary takes a share,
  // whichever makes its Block in the parent's namespace first.
  tree: { items: 96_000, workers: 6, secondaries: 2, blockSize: 500, parentBlockSize: 2000 },
  gateway: { workers: [2], itemsPerWorker: 300, blockSize: 50, itemMs: 1 },
};

/** Items for a Teamtask or Indexed Job run: whole blocks, enough for the target time. */
export function itemsFor(plan: BenchPlan, fn: ItemFunction, workers: number): number {
  const wanted =
    fn.meanMs === 0
      ? Math.max(plan.zeroCostItems, workers * 4 * fn.blockSize)
      : (workers * plan.targetSeconds * 1000) / fn.meanMs;
  return Math.max(1, Math.ceil(wanted / fn.blockSize)) * fn.blockSize;
}

/** Items for a one-process-per-item run: the same sizing, capped (a process costs ~1 ms here). */
export const commandItemsFor = (plan: BenchPlan, fn: ItemFunction, workers: number) =>
  Math.min(plan.commandItems, itemsFor(plan, fn, workers));

/** Items for a pod-per-block run: the same sizing, capped in pods. */
export const podPerBlockItemsFor = (plan: BenchPlan, fn: ItemFunction, workers: number) =>
  Math.min(
    Math.min(plan.maxPodsPerBlock, plan.podsPerWorker * workers) * fn.blockSize,
    itemsFor(plan, fn, workers),
  );

/** The scenarios of a plan that run on their own (`TEAMTASK_BENCH_ONLY=tree npm run bench`). */
export const LONE_SCENARIOS = ['tasks', 'scale', 'crowd', 'tree', 'gateway'] as const;
export type LoneScenario = (typeof LONE_SCENARIOS)[number];

/**
 * `plan` with only `scenario` left in it: one scenario measured again without the half hour of
 * the rest (its results say which plan ran: `full, tree only`). No item-function runs, no reclaim.
 */
export function only(plan: BenchPlan, scenario: string): BenchPlan {
  if (!(LONE_SCENARIOS as readonly string[]).includes(scenario))
    throw new Error(
      `TEAMTASK_BENCH_ONLY=${scenario}: no such scenario; use one of ${LONE_SCENARIOS.join(', ')}`,
    );
  const s = scenario as LoneScenario;
  return {
    ...plan,
    label: `${plan.label}, ${s} only`,
    functions: [],
    workers: [],
    reclaimSamples: 0,
    tasks: s === 'tasks' ? plan.tasks : undefined,
    scale: s === 'scale' ? plan.scale : undefined,
    crowd: s === 'crowd' ? plan.crowd : undefined,
    tree: s === 'tree' ? plan.tree : undefined,
    gateway: s === 'gateway' ? plan.gateway : undefined,
  };
}
