import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { TeamtaskClient } from '../src/kube/teamtask-client.js';
import type { Background } from '../test/support/processes.js';
import { readWorklist } from '../test/support/read.js';
import { apiserverMetrics, requestCounts, type RequestCount } from './apiserver-metrics.js';

/** What every scenario runs against: one cluster, one namespace, one controller process. */
export interface BenchContext {
  kc: KubeConfig;
  namespace: string;
  controller: Background;
  /** The processes whose CPU a run measures, by name (bench/cpu.ts). */
  processes: Readonly<Record<string, number>>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** utime + stime of a process in seconds, and its peak RSS so far in MiB (Linux /proc). */
export function processUsage(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return {
    cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100,
    peakRssMiB: Math.round(Number(hwm ?? 0) / 1024),
  };
}

export const apiSnapshot = async (kc: KubeConfig): Promise<RequestCount[]> =>
  requestCounts(await apiserverMetrics(kc));

export const deleteWorklist = (ctx: BenchContext, name: string): Promise<void> =>
  new TeamtaskClient(ctx.kc).worklists(ctx.namespace).delete(name);

export interface ObjectSample {
  /** Seconds since the run started. */
  t: number;
  liveBlocks: number;
  worklistBytes: number;
}

/**
 * Samples the live Blocks of a Worklist and the Worklist's size (its JSON, as stored) until
 * stopped: the "objects stay as few as the workers, the ledger stays small" claims, over time.
 */
export class ObjectSampler {
  readonly samples: ObjectSample[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(ctx: BenchContext, worklist: string, everyMs: number) {
    const blocksOf = new TeamtaskClient(ctx.kc).blocks(ctx.namespace);
    const started = performance.now();
    this.done = (async () => {
      while (this.running) {
        const [blocks, w] = await Promise.all([blocksOf.list(), readWorklist(ctx.namespace, worklist)]);
        this.samples.push({
          t: round((performance.now() - started) / 1000, 2),
          liveBlocks: blocks.filter((b) => b.spec.worklist === worklist).length,
          worklistBytes: Buffer.byteLength(JSON.stringify(w)),
        });
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<ObjectSample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }
}
