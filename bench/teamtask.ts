import { spawn } from 'node:child_process';
import { stringify } from 'yaml';
import { BLOCK_PLURAL, type Block } from '../src/api/v1alpha1/index.js';
import { sample } from '../src/controller/metrics.js';
import { collectionPath } from '../src/kube/teamtask-client.js';
import { kubectlStdin } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { Background, controllerMetrics } from '../test/support/processes.js';
import { ResumingWatch } from '../test/support/watch.js';
import { readWorklist } from '../test/support/read.js';
import { InProcessWorker, RunCounts } from '../test/support/workers.js';
import { teamtaskWrites, type WriteCounts } from './apiserver-metrics.js';
import { ClaimClock, IdleClock, percentile } from './claim-clock.js';
import { cpuSnapshot, cpuUse, type CpuUse } from './cpu.js';
import {
  apiSnapshot,
  deleteWorklist,
  ObjectSampler,
  processUsage,
  round,
  sleep,
  type BenchContext,
  type ObjectSample,
} from './context.js';
import { costOf, type ItemFunction } from './item-functions.js';

export interface TeamtaskRun {
  system: 'teamtask';
  fn: ItemFunction['name'];
  workers: number;
  items: number;
  blockSize: number;
  blocks: number;
  seconds: number;
  itemsPerSecond: number;
  api: WriteCounts;
  writesPerBlock: number;
  /** Asks for a range answered (a Block made, a range reported complete, a switch to the next range). */
  claims: number;
  /** Ranges the Blocks' statuses showed, current or next, each once. */
  ranges: number;
  /** Ranges the controller handed out meanwhile (its own counter): what `ranges` should equal. */
  assignments?: number;
  /** Asks to yield a slow range's unstarted tail to an idle worker (tail stealing). */
  stealAsks?: number;
  conflictsPerClaim: number;
  claimP50Ms?: number;
  claimP99Ms?: number;
  /**
   * What an item took in the item function on average, as timed around it (IdleClock): its cost
   * plus the lateness of its sleep's timer, which grows when the benchmark's process is busy.
   */
  itemMs?: number;
  /** The share of the workers' time (workers × seconds) spent in item functions. */
  busyShare?: number;
  /** A worker's time between the end of one range and the start of the next (IdleClock). */
  idleP50Ms?: number;
  idleP99Ms?: number;
  maxLiveBlocks: number;
  maxWorklistBytes: number;
  controllerCpuSeconds: number;
  controllerCpuPer1000Blocks: number;
  controllerCpuPer1000Items: number;
  controllerPeakRssMiB: number;
  /** Offsets that ran other than exactly once (empty: every item ran once). */
  notOnce: string[];
  timeline?: ObjectSample[];
  /** Where the machine's CPU went while the workers ran (absent in results from before it was measured). */
  cpu?: CpuUse;
}

/**
 * Teamtask with `workers` worker clients in this process (the real worker runtime, its item
 * function a sleep of the item's cost) against the real controller process: items/s, API writes
 * from kube-apiserver's own counters, claim latency from a watch, objects sampled over time,
 * the controller's CPU and memory.
 */
export async function runTeamtask(
  ctx: BenchContext,
  o: {
    name: string;
    fn: ItemFunction;
    workers: number;
    items: number;
    blockSize?: number;
    timeline?: boolean;
  },
): Promise<TeamtaskRun> {
  const blockSize = o.blockSize ?? o.fn.blockSize;
  const created = kubectlStdin(
    worklistYaml(o.name, { source: range(1, o.items), blockSize }),
    'create',
    '-n',
    ctx.namespace,
  );
  if (created.status !== 0) throw new Error(`creating Worklist ${o.name}: ${created.stderr}`);
  const counts = new RunCounts(o.items);
  const idle = Array.from({ length: o.workers }, () => new IdleClock());
  const execute = async (_item: string, offset: number) => {
    const ms = o.fn.costMs(offset);
    if (ms > 0) await sleep(ms);
    counts.counts[offset]!++;
    return true;
  };
  const pid = ctx.controller.child.pid!;
  const before = {
    api: await apiSnapshot(ctx.kc),
    usage: processUsage(pid),
    assignments: await controllerAssignments(ctx),
    stealAsks: await controllerCounter(ctx, 'steal_asks'),
  };
  const clock = new ClaimClock();
  // Resumed whenever its connection ends: a claim clock that stopped hearing would time nothing.
  const watch = await ResumingWatch.start<Block>(
    collectionPath(BLOCK_PLURAL, ctx.namespace),
    (type, b) => {
      if (b.spec?.worklist === o.name) clock.observe(type, b, performance.now());
    },
    { kc: ctx.kc },
  );
  const sampler = new ObjectSampler(ctx, o.name, o.timeline ? 1000 : 250);
  const cpuBefore = cpuSnapshot(ctx.processes);
  const started = performance.now();
  const pool = Array.from(
    { length: o.workers },
    (_, i) =>
      new InProcessWorker(ctx.namespace, o.name, `${o.name}-w${i}`, idle[i]!.wrap(execute), {
        onRange: idle[i]!.rangeStarted,
      }),
  );
  await Promise.all(pool.map((w) => w.finished));
  const seconds = (performance.now() - started) / 1000;
  const cpuDuring = cpuUse(cpuBefore, cpuSnapshot(ctx.processes));
  const timeline = await sampler.stop();
  watch.stop();
  const api = teamtaskWrites(before.api, await apiSnapshot(ctx.kc));
  const after = processUsage(pid);
  const assignments = await controllerAssignments(ctx);
  const stealAsks = await controllerCounter(ctx, 'steal_asks');
  await deleteWorklist(ctx, o.name);
  const blocks = Math.ceil(o.items / blockSize);
  const cpu = after.cpuSeconds - before.usage.cpuSeconds;
  const claims = clock.samples.length;
  const idleSamples = idle.flatMap((c) => c.samples);
  return {
    system: 'teamtask',
    fn: o.fn.name,
    workers: o.workers,
    items: o.items,
    blockSize,
    blocks,
    seconds: round(seconds, 2),
    itemsPerSecond: Math.round(o.items / seconds),
    api,
    writesPerBlock: round(api.writes / blocks, 2),
    claims,
    ranges: clock.tokens.size,
    assignments: assignments === undefined ? undefined : assignments - (before.assignments ?? 0),
    stealAsks: stealAsks === undefined ? undefined : stealAsks - (before.stealAsks ?? 0),
    conflictsPerClaim: claims ? round(api.conflicts / claims, 4) : 0,
    claimP50Ms: round(percentile(clock.samples, 50) ?? NaN, 1),
    claimP99Ms: round(percentile(clock.samples, 99) ?? NaN, 1),
    itemMs: round(idle.reduce((n, c) => n + c.busyMs, 0) / Math.max(1, o.items), 3),
    busyShare: round(idle.reduce((n, c) => n + c.busyMs, 0) / 1000 / (o.workers * seconds), 3),
    idleP50Ms: round(percentile(idleSamples, 50) ?? NaN, 1),
    idleP99Ms: round(percentile(idleSamples, 99) ?? NaN, 1),
    maxLiveBlocks: Math.max(0, ...timeline.map((s) => s.liveBlocks)),
    maxWorklistBytes: Math.max(0, ...timeline.map((s) => s.worklistBytes)),
    controllerCpuSeconds: round(cpu, 2),
    controllerCpuPer1000Blocks: round(cpu / (blocks / 1000), 3),
    controllerCpuPer1000Items: round(cpu / (o.items / 1000), 4),
    controllerPeakRssMiB: after.peakRssMiB,
    notOnce: counts.notOnce(),
    cpu: cpuDuring,
    ...(o.timeline ? { timeline } : {}),
  };
}

export interface CommandRun {
  system: 'teamtask-command' | 'teamtask-per-block' | 'xargs';
  fn: ItemFunction['name'];
  workers: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
}

/*
 * On one machine, a process per item, the same items (their costs, from a ConfigMap) for all:
 * `kubectl teamtask work --jobs W -- sleep` (one worker process, W commands at a time; node
 * starts each), Teamtask's --per-block (a shell per block starts them), and `xargs -P W -n 1
 * sleep`. Teamtask also pays its start, its Blocks and the ledger.
 */

/** One line per item: its cost in seconds, the argument `sleep` takes. */
export const costLines = (fn: ItemFunction, items: number) =>
  Array.from({ length: items }, (_, i) => String(round(costOf(fn, i, i + 1) / 1000, 4))).join('\n') + '\n';

export async function runTeamtaskCommand(
  ctx: BenchContext,
  o: { name: string; fn: ItemFunction; workers: number; items: number },
): Promise<CommandRun> {
  const remove = createCostWorklist(ctx, o.name, o.fn, o.items, o.fn.blockSize);
  const started = performance.now();
  const worker = new Background([
    'work',
    o.name,
    '-n',
    ctx.namespace,
    '--jobs',
    String(o.workers),
    '--',
    'sleep',
  ]);
  const code = await worker.exited;
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`teamtask work on ${o.name} exited ${code}:\n${worker.output}`);
  await remove(o.items);
  return commandRun('teamtask-command', o, seconds);
}

/** What --per-block runs: one shell per block, which runs `sleep COST` for each item on its stdin. */
export const PER_BLOCK_SCRIPT = ['sh', '-c', 'while read -r cost; do sleep "$cost"; done'];

/**
 * The same items, a process per item, with Teamtask's --per-block: `workers` worker clients in
 * this process, each running one shell per block that starts `sleep` per item, as xargs does.
 * Blocks are sized so each worker gets two at least.
 */
export async function runTeamtaskPerBlock(
  ctx: BenchContext,
  o: { name: string; fn: ItemFunction; workers: number; items: number },
): Promise<CommandRun & { blockSize: number }> {
  const blockSize = Math.max(1, Math.min(o.fn.blockSize, Math.floor(o.items / (2 * o.workers))));
  const remove = createCostWorklist(ctx, o.name, o.fn, o.items, blockSize);
  const started = performance.now();
  const pool = Array.from(
    { length: o.workers },
    (_, i) =>
      new InProcessWorker(ctx.namespace, o.name, `${o.name}-w${i}`, undefined, {
        command: PER_BLOCK_SCRIPT,
        perBlock: true,
      }),
  );
  await Promise.all(pool.map((w) => w.finished));
  const seconds = (performance.now() - started) / 1000;
  await remove(o.items);
  return { ...commandRun('teamtask-per-block', o, seconds), blockSize };
}

/**
 * A Worklist of the items' costs (a ConfigMap of lines); returns the cleanup, which first checks
 * that every item completed.
 */
function createCostWorklist(
  ctx: BenchContext,
  name: string,
  fn: ItemFunction,
  items: number,
  blockSize: number,
): (expected: number) => Promise<void> {
  const manifest = [
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-items` },
      data: { items: costLines(fn, items) },
    }),
    worklistYaml(name, { source: { configMap: { name: `${name}-items` } }, blockSize }),
  ].join('---\n');
  const created = kubectlStdin(manifest, 'create', '-n', ctx.namespace);
  if (created.status !== 0) throw new Error(`creating Worklist ${name}: ${created.stderr}`);
  return async (expected) => {
    const w = await readWorklist(ctx.namespace, name);
    if (w.status?.completedItems !== expected) {
      throw new Error(`Worklist ${name}: ${w.status?.completedItems}/${expected} items completed`);
    }
    await deleteWorklist(ctx, name);
    kubectlStdin(manifest, 'delete', '-n', ctx.namespace, '--ignore-not-found');
  };
}

export async function runXargs(o: { fn: ItemFunction; workers: number; items: number }): Promise<CommandRun> {
  const child = spawn('xargs', ['-P', String(o.workers), '-n', '1', 'sleep'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const started = performance.now();
  child.stdin.end(costLines(o.fn, o.items));
  const code = await exitCode(child);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`xargs exited ${code}`);
  return commandRun('xargs', o, seconds);
}

/** A child process's exit code, once it exits (rejects when it cannot start). */
export const exitCode = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });

const commandRun = (
  system: CommandRun['system'],
  o: { fn: ItemFunction; workers: number; items: number },
  seconds: number,
): CommandRun => ({
  system,
  fn: o.fn.name,
  workers: o.workers,
  items: o.items,
  seconds: round(seconds, 2),
  itemsPerSecond: round(o.items / seconds, 1),
});

/** The controller's count of ranges handed out, for cross-checking the claim count. */
export const controllerAssignments = (ctx: BenchContext) => controllerCounter(ctx, 'assignments');

/** One of the controller's counters (`teamtask_controller_NAME_total`). */
export async function controllerCounter(ctx: BenchContext, name: string): Promise<number | undefined> {
  return sample(await controllerMetrics(ctx.controller), `teamtask_controller_${name}_total`);
}
