import { BLOCK_PLURAL, WORKLIST_PLURAL, type Block, type Worklist } from '../src/api/v1alpha1/index.js';
import { collectionPath, TeamtaskClient } from '../src/kube/teamtask-client.js';
import { kubectlStdin } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { InProcessWorker, RunCounts } from '../test/support/workers.js';
import { deleteWorklist, round, type BenchContext } from './context.js';
import { ResumingWatch } from '../test/support/watch.js';
import { controllerCounter } from './teamtask.js';
import { cpuSnapshot, cpuUse, type CpuUse } from './cpu.js';

/**
 * The same worker clients on one Worklist, then spread over secondary Worklists of one parent
 * (docs/secondary.md): what the parent's object and its write rate become when its workers are
 * secondaries, each with its own workers, and whether the items still go as fast. Zero-cost
 * items: what is measured is the ledgers', not the items'.
 */
export interface TreeRun {
  system: 'teamtask-one' | 'teamtask-tree';
  workers: number;
  /** Secondary Worklists the workers are spread over (0: all on one Worklist). */
  secondaries: number;
  items: number;
  /** The workers' block size (the secondaries'; the one Worklist's). */
  blockSize: number;
  /** The parent's block size: what a secondary takes in whole blocks. */
  parentBlockSize?: number;
  seconds: number;
  /**
   * When the shared Worklist's ledger first showed every item done (its watch), from the start:
   * the rest of `seconds` is the workers seeing that and leaving (their Blocks deleted).
   */
  completeSeconds?: number;
  itemsPerSecond: number;
  /** Writes of the Worklist the workers share (the parent, in a tree), as its watch saw them. */
  worklistWrites: number;
  worklistWritesPerSecond: number;
  /**
   * Writes of the shared Worklist's Blocks (its workers', or its secondaries' Blocks in the
   * parent's namespace): since the pipelined protocol, a claim is a Block write, and the ledger
   * is written once a pass for all of them.
   */
  blockWrites: number;
  /** Writes of every Worklist and Block of the run (the parent's, the secondaries', their workers'): the API server's load. */
  allWrites: number;
  /**
   * Of allWrites: every Worklist's (the ledgers), and the Blocks' status writes (the controller's
   * word to workers); the rest are Blocks made, deleted, or their spec written (the workers'
   * reports, which change a Block's generation).
   */
  allWorklistWrites?: number;
  blockStatusWrites?: number;
  maxWorklistBytes: number;
  /** A watch could not resume where it was closed (410 Gone, say): the write counts are then lower bounds. */
  watchBroken: boolean;
  /** Where the CPU went while the workers ran (bench/cpu.ts): on 2 cores, whether the run measured the machine. */
  cpu?: CpuUse;
  /**
   * The controller's counts over the run (its /metrics): ranges handed out, to every Block of
   * every Worklist of the run (a secondary's Block in its parent's namespace too), and asks to
   * yield a tail (tail stealing). Each range costs a Block status write and a report.
   */
  ranges?: { assignments: number; stealAsks: number };
  notOnce: string[];
}

export interface TreePlan {
  items: number;
  workers: number;
  secondaries: number;
  blockSize: number;
  parentBlockSize: number;
}

/**
 * Every write of the run's Worklists and Blocks, by two watches on the namespace (each event is
 * one write: created, changed, deleted), from the lists' resourceVersion on (what was there
 * before is no write of the run), resumed where the API server closes them: those of the shared
 * Worklist and its Blocks apart, and the shared Worklist's largest size (its JSON).
 */
async function watchWrites(ctx: BenchContext, shared: string, items: number) {
  const counts = {
    worklistWrites: 0,
    blockWrites: 0,
    allWrites: 0,
    allWorklistWrites: 0,
    blockStatusWrites: 0,
    maxBytes: 0,
  };
  const last = new Map<string, { generation: number; status: string }>();
  let completeAt: number | undefined;
  const path = (plural: string) => collectionPath(plural, ctx.namespace);
  const client = new TeamtaskClient(ctx.kc);
  const from = async (plural: 'worklists' | 'blocks') => {
    const list = await client.listAll(plural, ctx.namespace);
    return { kc: ctx.kc, resourceVersion: list.metadata?.resourceVersion };
  };
  const worklists = await ResumingWatch.start<Worklist>(
    path(WORKLIST_PLURAL),
    (type, w) => {
      counts.allWrites++;
      counts.allWorklistWrites++;
      if (w.metadata?.name !== shared) return;
      if (type === 'MODIFIED') counts.worklistWrites++;
      counts.maxBytes = Math.max(counts.maxBytes, JSON.stringify(w).length);
      const s = w.status;
      if (completeAt === undefined && (s?.completedItems ?? 0) + (s?.failedItems ?? 0) >= items)
        completeAt = performance.now();
    },
    await from(WORKLIST_PLURAL),
  );
  const blocks = await ResumingWatch.start<Block>(
    path(BLOCK_PLURAL),
    (type, b) => {
      counts.allWrites++;
      if (b.spec?.worklist === shared) counts.blockWrites++;
      // A status write changes the status and leaves the generation as it was; a spec write (a
      // report) or a delete moves the generation; a finalizer removal changes neither.
      const uid = b.metadata?.uid ?? '';
      const seen = { generation: b.metadata?.generation ?? 0, status: JSON.stringify(b.status ?? {}) };
      const before = last.get(uid);
      if (type === 'MODIFIED' && before?.generation === seen.generation && before.status !== seen.status)
        counts.blockStatusWrites++;
      if (type === 'DELETED') last.delete(uid);
      else last.set(uid, seen);
    },
    await from(BLOCK_PLURAL),
  );
  return {
    stop: () => {
      worklists.stop();
      blocks.stop();
      return {
        ...counts,
        completeAt,
        broken: worklists.broken !== undefined || blocks.broken !== undefined,
      };
    },
  };
}

function create(ctx: BenchContext, name: string, spec: unknown): void {
  const res = kubectlStdin(worklistYaml(name, spec), 'create', '-n', ctx.namespace);
  if (res.status !== 0) throw new Error(`creating Worklist ${name}: ${res.stderr}`);
}

/** Runs `workers` in-process worker clients, `spread` over the given Worklists, to the end. */
async function work(ctx: BenchContext, worklists: string[], workers: number, counts: RunCounts) {
  const execute = async (_item: string, offset: number) => {
    counts.counts[offset]!++;
    return true;
  };
  const pool = Array.from({ length: workers }, (_, i) => {
    const w = worklists[i % worklists.length]!;
    return new InProcessWorker(ctx.namespace, w, `${w}-w${i}`, execute);
  });
  await Promise.all(pool.map((p) => p.finished));
}

/** The controller's counters of ranges handed out and asks to yield; undefined if it serves none. */
async function controllerRanges(ctx: BenchContext) {
  const [assignments, stealAsks] = await Promise.all([
    controllerCounter(ctx, 'assignments'),
    controllerCounter(ctx, 'steal_asks'),
  ]);
  return assignments === undefined || stealAsks === undefined ? undefined : { assignments, stealAsks };
}

async function measure(
  ctx: BenchContext,
  o: { system: TreeRun['system']; watched: string; worklists: string[]; plan: TreePlan; secondaries: number },
): Promise<TreeRun> {
  const counts = new RunCounts(o.plan.items);
  const watch = await watchWrites(ctx, o.watched, o.plan.items);
  const cpuBefore = cpuSnapshot(ctx.processes);
  const ranges0 = await controllerRanges(ctx);
  const started = performance.now();
  await work(ctx, o.worklists, o.plan.workers, counts);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuUse(cpuBefore, cpuSnapshot(ctx.processes));
  const ranges1 = await controllerRanges(ctx);
  const {
    worklistWrites,
    blockWrites,
    allWrites,
    allWorklistWrites,
    blockStatusWrites,
    maxBytes,
    completeAt,
    broken,
  } = watch.stop();
  return {
    system: o.system,
    workers: o.plan.workers,
    secondaries: o.secondaries,
    items: o.plan.items,
    blockSize: o.plan.blockSize,
    ...(o.secondaries ? { parentBlockSize: o.plan.parentBlockSize } : {}),
    seconds: round(seconds, 2),
    ...(completeAt !== undefined ? { completeSeconds: round((completeAt - started) / 1000, 2) } : {}),
    itemsPerSecond: Math.round(o.plan.items / seconds),
    worklistWrites,
    worklistWritesPerSecond: round(worklistWrites / seconds, 2),
    blockWrites,
    allWrites,
    allWorklistWrites,
    blockStatusWrites,
    maxWorklistBytes: maxBytes,
    watchBroken: broken,
    ...(cpu ? { cpu } : {}),
    ...(ranges0 && ranges1
      ? {
          ranges: {
            assignments: ranges1.assignments - ranges0.assignments,
            stealAsks: ranges1.stealAsks - ranges0.stealAsks,
          },
        }
      : {}),
    notOnce: counts.notOnce(),
  };
}

/** The workers on one Worklist, then the same workers over `secondaries` secondaries of one parent. */
export async function runTree(ctx: BenchContext, plan: TreePlan): Promise<{ one: TreeRun; tree: TreeRun }> {
  create(ctx, 'one', { source: range(1, plan.items), blockSize: plan.blockSize });
  const one = await measure(ctx, {
    system: 'teamtask-one',
    watched: 'one',
    worklists: ['one'],
    plan,
    secondaries: 0,
  });
  await deleteWorklist(ctx, 'one');

  create(ctx, 'tree', { source: range(1, plan.items), blockSize: plan.parentBlockSize });
  const names = Array.from({ length: plan.secondaries }, (_, j) => `tree-s${j}`);
  for (const name of names)
    create(ctx, name, { source: { worklist: { name: 'tree' } }, blockSize: plan.blockSize });
  const tree = await measure(ctx, {
    system: 'teamtask-tree',
    watched: 'tree',
    worklists: names,
    plan,
    secondaries: plan.secondaries,
  });
  for (const name of names) await deleteWorklist(ctx, name);
  await deleteWorklist(ctx, 'tree');
  return { one, tree };
}
