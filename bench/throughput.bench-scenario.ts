import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshNamespace, kubeConfig, kubectlStdin, teamtask } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { readWorklist } from '../test/support/read.js';
import { controllerMetrics, startController, type Background } from '../test/support/processes.js';
import { REPO_ROOT } from '../test/support/paths.js';
import { InProcessWorker, RunCounts } from '../test/support/workers.js';
import { sample } from '../src/controller/metrics.js';
import { apiserverMetrics, requestCounts, teamtaskWrites } from './apiserver-metrics.js';

// First slice of issue 7: Teamtask alone, zero-cost items (the real worker runtime in this
// process, an item function that only counts), 1, 4 and 16 workers, blocks of 1000. For each:
// items/s, API writes per block and 409s per claim (from kube-apiserver's own counters), the most
// live Blocks and the largest Worklist seen, and the controller's CPU seconds per 1000 items.

const kc = kubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const BLOCK = 1000;
const BLOCKS = 200;
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;
const results: Record<string, unknown>[] = [];

/** utime + stime of a process, in seconds, and its peak RSS in MiB (Linux /proc). */
function usage(pid: number): { cpu: number; peakMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpu, peakMiB: Math.round(Number(hwm ?? 0) / 1024) };
}

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  ns = await freshNamespace('bench');
  controller = startController('--no-leader-elect');
  await new Promise((r) => setTimeout(r, 2000));
});

afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(REPO_ROOT, 'bench', 'results');
  writeFileSync(join(dir, `${date}.json`), `${JSON.stringify({ date, scenarios: results }, null, 2)}\n`);
  const rows = results.map((r) =>
    [
      r.workers,
      r.items,
      r.itemsPerSecond,
      r.writesPerBlock,
      r.conflictsPerClaim,
      `${r.maxLiveBlocks} (≤ ${Number(r.workers) + 2})`,
      r.maxWorklistBytes,
      r.controllerCpuPer1000Items,
    ].join(' | '),
  );
  writeFileSync(
    join(dir, `${date}.md`),
    [
      `# Benchmark ${date}: Teamtask alone, zero-cost items, blocks of ${BLOCK}`,
      '',
      'Targets (issue 7): ≤ 2.2 API writes per block; ≤ 1% conflicts per claim; live Blocks ≤ workers + 2; Worklist ≤ 20 KB; controller ≤ 0.05 CPU-seconds per 1,000 items.',
      '',
      '| workers | items | items/s | writes/block | 409s/claim | max live Blocks | max Worklist bytes | controller CPU-s / 1000 items |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r} |`),
      '',
    ].join('\n'),
  );
});

describe('Teamtask throughput', () => {
  it.each([1, 4, 16])('%d workers', async (workers) => {
    const name = `zero-${workers}`;
    const items = BLOCK * BLOCKS;
    expect(
      kubectlStdin(worklistYaml(name, { source: range(1, items), blockSize: BLOCK }), 'create', '-n', ns.name)
        .status,
    ).toBe(0);
    const counts = new RunCounts(items);
    const pid = controller.child.pid!;
    const before = { api: requestCounts(await apiserverMetrics(kc)), cpu: usage(pid).cpu };
    const seen = { maxBlocks: 0, maxBytes: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const blocks = (await custom.listNamespacedCustomObject({
          group: 'teamtask.dev',
          version: 'v1alpha1',
          plural: 'blocks',
          namespace: ns.name,
        })) as { items: unknown[] };
        seen.maxBlocks = Math.max(seen.maxBlocks, blocks.items.length);
        seen.maxBytes = Math.max(
          seen.maxBytes,
          Buffer.byteLength(JSON.stringify(await readWorklist(ns.name, name))),
        );
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const started = performance.now();
    const pool = Array.from(
      { length: workers },
      (_, i) => new InProcessWorker(ns.name, name, `${name}-w${i}`, counts.execute()),
    );
    await Promise.all(pool.map((w) => w.finished));
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const api = teamtaskWrites(before.api, requestCounts(await apiserverMetrics(kc)));
    const after = usage(pid);
    const assignments = sample(await controllerMetrics(controller), 'teamtask_controller_assignments_total');
    expect(counts.notOnce()).toEqual([]);
    results.push({
      workers,
      items,
      blockSize: BLOCK,
      seconds: Math.round(seconds * 10) / 10,
      itemsPerSecond: Math.round(items / seconds),
      apiWrites: api.writes,
      writesByKind: api.byKind,
      writesPerBlock: Math.round((api.writes / BLOCKS) * 100) / 100,
      conflicts: api.conflicts,
      conflictsPerClaim: `${Math.round((api.conflicts / BLOCKS) * 1000) / 10}%`,
      maxLiveBlocks: seen.maxBlocks,
      maxWorklistBytes: seen.maxBytes,
      controllerCpuSeconds: Math.round((after.cpu - before.cpu) * 100) / 100,
      controllerCpuPer1000Items: Math.round(((after.cpu - before.cpu) / (items / 1000)) * 1000) / 1000,
      controllerPeakRssMiB: after.peakMiB,
      controllerAssignmentsTotal: assignments,
    });
    process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
  });
});
