import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { writesBetween, type WriteCounts } from './apiserver-metrics.js';
import { apiSnapshot, round, sleep, type BenchContext } from './context.js';
import { cpuSnapshot, cpuUse, type CpuUse } from './cpu.js';
import { costOf, type ItemFunction } from './item-functions.js';
import { onKwokNode } from '../test/support/objects.js';

export interface IndexedJobRun {
  system: 'pod-per-block' | 'static-split';
  fn: ItemFunction['name'];
  workers: number;
  items: number;
  pods: number;
  seconds: number;
  itemsPerSecond: number;
  /** Every API write of the run (Job, pods, their status, Events; not the components' Lease heartbeats). */
  api: WriteCounts;
  writesPerPod: number;
  /** Where the machine's CPU went while the Job ran (absent in results from before it was measured). */
  cpu?: CpuUse;
}

/**
 * The two ways to do it with a plain Indexed Job, on kwok pods (no containers run, so this is
 * the control plane's cost alone): one pod per block, `workers` at a time; or a static split,
 * one pod per worker, each with a fixed share of the items. A pod "runs" for the summed cost of
 * its items: kwok's pod-complete stage reads the run time of each index from an annotation.
 */
export async function runIndexedJob(
  ctx: BenchContext,
  o: { name: string; system: IndexedJobRun['system']; fn: ItemFunction; workers: number; items: number },
): Promise<IndexedJobRun> {
  const share = o.system === 'pod-per-block' ? o.fn.blockSize : Math.ceil(o.items / o.workers);
  const pods = Math.ceil(o.items / share);
  const runTimes = Array.from(
    { length: pods },
    (_, i) => `${Math.round(costOf(o.fn, i * share, Math.min(o.items, (i + 1) * share)))}ms`,
  );
  const batch = ctx.kc.makeApiClient(BatchV1Api);
  const before = await apiSnapshot(ctx.kc);
  const cpuBefore = cpuSnapshot(ctx.processes);
  const started = performance.now();
  await batch.createNamespacedJob({
    namespace: ctx.namespace,
    body: {
      metadata: { name: o.name },
      spec: {
        completionMode: 'Indexed',
        completions: pods,
        parallelism: Math.min(o.workers, pods),
        backoffLimit: 0,
        template: {
          metadata: {
            annotations:
              new Set(runTimes).size === 1
                ? { 'pod-complete.stage.kwok.x-k8s.io/delay': runTimes[0]! }
                : { 'bench.teamtask.dev/delays': runTimes.join(',') },
          },
          spec: {
            ...onKwokNode,
            restartPolicy: 'Never',
            containers: [{ name: 'work', image: 'bench:none' }],
          },
        },
      },
    },
  });
  for (;;) {
    const job = await batch.readNamespacedJobStatus({ name: o.name, namespace: ctx.namespace });
    const done = job.status?.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    if (done?.type === 'Failed') throw new Error(`Job ${o.name} failed: ${done.message}`);
    if (done) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuUse(cpuBefore, cpuSnapshot(ctx.processes));
  const api = writesBetween(before, await apiSnapshot(ctx.kc), { ignore: ['leases'] });
  await removeJob(ctx, o.name);
  return {
    system: o.system,
    fn: o.fn.name,
    workers: o.workers,
    items: o.items,
    pods,
    seconds: round(seconds, 2),
    itemsPerSecond: round(o.items / seconds, 1),
    api,
    writesPerPod: round(api.writes / pods, 2),
    cpu,
  };
}

/** Deletes the Job and waits until its pods are gone, so they do not load the next run. */
async function removeJob(ctx: BenchContext, name: string): Promise<void> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  await ctx.kc
    .makeApiClient(BatchV1Api)
    .deleteNamespacedJob({ name, namespace: ctx.namespace, propagationPolicy: 'Background' });
  for (;;) {
    const pods = await core.listNamespacedPod({
      namespace: ctx.namespace,
      labelSelector: `job-name=${name}`,
    });
    if (pods.items.length === 0) return;
    await sleep(250);
  }
}
