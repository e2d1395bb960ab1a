import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { eventually, freshNamespace, kubeConfig, teamtask } from '../test/support/kube.js';
import { startController, withoutInClusterController } from '../test/support/processes.js';
import { apiserverMetrics, storageBytes } from './apiserver-metrics.js';
import { svgToPng, lineChartSvg } from './charts.js';
import { clusterProcesses } from './cpu.js';
import { round, sleep, type BenchContext } from './context.js';
import { runIndexedJob } from './indexed-job.js';
import { itemFunction } from './item-functions.js';
import { commandItemsFor, itemsFor, podPerBlockItemsFor, type BenchPlan } from './plan.js';
import { measureReclaim } from './reclaim.js';
import { runTasksPerBlock, runTasksXargs } from './tasks.js';
import { RedisServer, runRedisQueue } from './redis-queue.js';
import { chartsOf, renderMarkdown, type BenchResults } from './report.js';
import { runTeamtask, runTeamtaskCommand, runTeamtaskPerBlock, runXargs } from './teamtask.js';
import { runTree } from './tree.js';
import { runGateway } from './gateway.js';

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/**
 * Runs every scenario of `plan` against the cluster under test, one after another with one
 * controller, and writes `<date>.json`, `<date>.md` and the plots into `outDir` (`<date>-2…` when that day already has a run).
 */
export async function runBench(plan: BenchPlan, outDir: string): Promise<BenchResults> {
  const started = performance.now();
  const kc = kubeConfig();
  const install = teamtask('install');
  if (install.status !== 0) throw new Error(`install failed: ${install.stderr}`);
  // The bench's own controller process (its CPU and memory are measured) must be the only one.
  await withoutInClusterController();
  const ns = await freshNamespace('bench');
  const controller = startController('--no-leader-elect');
  const redis = await RedisServer.start();
  const logs = inject('kcpLogs');
  const ctx: BenchContext = {
    kc,
    namespace: ns.name,
    controller,
    processes: {
      // This process runs the in-process workers (and the claim clock and the sampler).
      bench: process.pid,
      controller: controller.child.pid!,
      redis: redis.pid,
      ...(logs ? clusterProcesses(dirname(logs)) : {}),
    },
  };
  const date = runName(outDir, new Date().toISOString().slice(0, 10));
  const results: BenchResults = {
    date,
    plan: plan.label,
    machine: {
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
    },
    seconds: 0,
    teamtask: [],
    jobs: [],
    commands: [],
    queues: [],
    reclaimSeconds: [],
    tasks: [],
    complete: false,
  };
  // Saved after every scenario: a run cut short keeps what it measured (`complete: false`).
  const save = () => {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${date}.json`), `${JSON.stringify(results, null, 2)}\n`);
  };
  try {
    while (!/serving \/metrics/.test(controller.output)) {
      if (controller.child.exitCode !== null) throw new Error(`the controller exited:\n${controller.output}`);
      await sleep(100);
    }
    // The API server's write counters are cluster-wide: a namespace still being deleted (the
    // last test file's, its Worklists and Blocks going) would count in the first runs' writes.
    // Its Blocks wait on our finalizer, which this controller lets go.
    await eventually(
      'the namespaces being deleted to go',
      async () => {
        const all = await kc.makeApiClient(CoreV1Api).listNamespace();
        return all.items.some((n) => n.status?.phase === 'Terminating') ? undefined : true;
      },
      180_000,
    );
    for (const name of plan.functions) {
      const fn = itemFunction(name);
      for (const workers of plan.workers) {
        const id = `${fn.name}-${workers}`.toLowerCase();
        const items = itemsFor(plan, fn, workers);
        say(`${id}: Teamtask, ${items} items (${round((performance.now() - started) / 1000)} s in)`);
        results.teamtask.push(await runTeamtask(ctx, { name: `tt-${id}`, fn, workers, items }));
        save();
        say(`${id}: pod per block`);
        results.jobs.push(
          await runIndexedJob(ctx, {
            name: `ppb-${id}`,
            system: 'pod-per-block',
            fn,
            workers,
            items: podPerBlockItemsFor(plan, fn, workers),
          }),
        );
        say(`${id}: static split`);
        results.jobs.push(
          await runIndexedJob(ctx, { name: `split-${id}`, system: 'static-split', fn, workers, items }),
        );
        say(`${id}: Redis work queue`);
        results.queues!.push(
          await runRedisQueue(redis, { name: `rq-${id}`, fn, workers, items, processes: ctx.processes }),
        );
        const commandItems = commandItemsFor(plan, fn, workers);
        say(`${id}: a process per item, ${commandItems} items`);
        results.commands.push(
          await runTeamtaskCommand(ctx, { name: `cmd-${id}`, fn, workers, items: commandItems }),
        );
        results.commands.push(
          await runTeamtaskPerBlock(ctx, { name: `pb-${id}`, fn, workers, items: commandItems }),
        );
        results.commands.push(await runXargs({ fn, workers, items: commandItems }));
        save();
      }
    }
    for (const workers of plan.tasks?.workers ?? []) {
      const tasks = workers * plan.tasks!.perWorker;
      say(`half-second tasks: ${tasks} tasks, ${workers} workers, --per-block and xargs`);
      results.tasks!.push(await runTasksPerBlock(ctx, { name: `tasks-${workers}`, workers, tasks }));
      results.tasks!.push(await runTasksXargs({ workers, tasks }));
      save();
    }
    for (let i = 0; i < plan.reclaimSamples; i++) {
      say(`reclaim ${i + 1}/${plan.reclaimSamples}`);
      results.reclaimSeconds.push(await measureReclaim(ctx, `reclaim-${i}`));
      save();
    }
    if (plan.scale) {
      const { items, blockSize, workers } = plan.scale;
      say(`scale: ${items} items, blocks of ${blockSize}, ${workers} workers`);
      results.scale = await runTeamtask(ctx, {
        name: 'scale',
        fn: itemFunction('zero'),
        workers,
        items,
        blockSize,
        timeline: true,
      });
    }
    if (plan.crowd) {
      const { items, blockSize, workers } = plan.crowd;
      say(`crowd: ${items} items, blocks of ${blockSize}, ${workers} worker clients`);
      results.crowd = await runTeamtask(ctx, {
        name: 'crowd',
        fn: itemFunction('zero'),
        workers,
        items,
        blockSize,
      });
      save();
    }
    if (plan.tree) {
      const t = plan.tree;
      say(
        `tree: ${t.items} items, ${t.workers} worker clients on one Worklist, then over ${t.secondaries} secondaries`,
      );
      results.tree = await runTree(ctx, t);
      save();
    }
    if (plan.gateway) {
      const g = plan.gateway;
      say(
        `gateway: ${g.workers.join(', ')} workers, ${g.itemsPerWorker} items each, through the gateway and with a kubeconfig`,
      );
      results.gateway = await runGateway(ctx, g);
      save();
    }
    results.etcdBytes = storageBytes(await apiserverMetrics(kc));
  } finally {
    await controller.stop();
    await redis.stop();
    await ns.remove();
  }
  results.seconds = round((performance.now() - started) / 1000);
  results.complete = true;
  save();
  const plots = chartsOf(results);
  for (const p of plots) writeFileSync(join(outDir, p.file), svgToPng(lineChartSvg(p.chart)));
  writeFileSync(join(outDir, `${date}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(outDir, `${date}.md`),
    renderMarkdown(
      results,
      plots.map((p) => p.file),
    ),
  );
  return results;
}

/** The day's name for a run's files, `-2`, `-3`… after it when a run of the same day is there (kept). */
function runName(outDir: string, day: string): string {
  let name = day;
  for (let n = 2; existsSync(join(outDir, `${name}.json`)); n++) name = `${day}-${n}`;
  return name;
}
