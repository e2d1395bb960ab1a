import { Watch } from '@kubernetes/client-node';
import type { Worklist } from '../src/api/v1alpha1/index.js';
import { kubectlStdin } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { InProcessWorker, RunCounts } from '../test/support/workers.js';
import { deleteWorklist, round, type BenchContext } from './context.js';

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
  itemsPerSecond: number;
  /** Writes of the Worklist the workers share (the parent, in a tree), as its watch saw them. */
  worklistWrites: number;
  worklistWritesPerSecond: number;
  maxWorklistBytes: number;
  notOnce: string[];
}

export interface TreePlan {
  items: number;
  workers: number;
  secondaries: number;
  blockSize: number;
  parentBlockSize: number;
}

/** Every change of one Worklist, by its watch: how many, and its largest size (its JSON). */
async function watchWrites(ctx: BenchContext, name: string) {
  let writes = 0;
  let maxBytes = 0;
  const req = await new Watch(ctx.kc).watch(
    `/apis/teamtask.dev/v1alpha1/namespaces/${ctx.namespace}/worklists`,
    { fieldSelector: `metadata.name=${name}` },
    (type: string, w: Worklist) => {
      if (type === 'MODIFIED') writes++;
      maxBytes = Math.max(maxBytes, JSON.stringify(w).length);
    },
    () => {},
  );
  return {
    stop: () => {
      req.abort();
      return { writes, maxBytes };
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

async function measure(
  ctx: BenchContext,
  o: { system: TreeRun['system']; watched: string; worklists: string[]; plan: TreePlan; secondaries: number },
): Promise<TreeRun> {
  const counts = new RunCounts(o.plan.items);
  const watch = await watchWrites(ctx, o.watched);
  const started = performance.now();
  await work(ctx, o.worklists, o.plan.workers, counts);
  const seconds = (performance.now() - started) / 1000;
  const { writes, maxBytes } = watch.stop();
  return {
    system: o.system,
    workers: o.plan.workers,
    secondaries: o.secondaries,
    items: o.plan.items,
    blockSize: o.plan.blockSize,
    ...(o.secondaries ? { parentBlockSize: o.plan.parentBlockSize } : {}),
    seconds: round(seconds, 2),
    itemsPerSecond: Math.round(o.plan.items / seconds),
    worklistWrites: writes,
    worklistWritesPerSecond: round(writes / seconds, 2),
    maxWorklistBytes: maxBytes,
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
