import type { KubeConfig } from '@kubernetes/client-node';
import type { BlockApi } from '../../src/worker/block-client.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { kubeConfig } from './kube.js';

/**
 * The real worker runtime (src/worker/worker.ts) in the test process, with an in-process item
 * function instead of a command: many workers without a process each, as the benchmarks use.
 */
export class InProcessWorker {
  readonly log: string[] = [];
  readonly finished: Promise<{ completed: number; failed: number }>;
  private readonly abort = new AbortController();

  constructor(
    namespace: string,
    worklist: string,
    readonly block: string,
    /** The item function; undefined to run `options.command` as the real worker would. */
    execute: ((item: string, offset: number) => Promise<boolean>) | undefined,
    options: {
      pollMs?: number;
      jobs?: number;
      pod?: string;
      command?: string[];
      perBlock?: boolean;
      onRange?: WorkerOptions['onRange'];
      /** The cluster to work in (default the cluster under test). */
      kc?: KubeConfig;
      /** The Block calls to make instead of the cluster's: the gateway's (GatewayBlockApi). */
      api?: BlockApi;
    } = {},
  ) {
    const worker = new Worker(
      options.api ? undefined : (options.kc ?? kubeConfig()),
      {
        namespace,
        worklist,
        block,
        identity: `e2e/${block}`,
        pod: options.pod,
        command: options.command ?? [],
        perBlock: options.perBlock,
        jobs: options.jobs ?? 1,
        pollMs: options.pollMs ?? 100,
        execute,
        onRange: options.onRange,
        log: (line) => this.log.push(line),
      },
      options.api,
    );
    this.finished = worker.run(this.abort.signal);
  }

  stop(): Promise<unknown> {
    this.abort.abort();
    return this.finished;
  }
}

/** Counts how often each offset ran: the exactly-once check. */
export class RunCounts {
  readonly counts: Uint16Array;

  constructor(readonly total: number) {
    this.counts = new Uint16Array(total);
  }

  /** An item function that records the offset, after `delayMs`. */
  execute =
    (delayMs = 0) =>
    async (_item: string, offset: number): Promise<boolean> => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      this.counts[offset]!++;
      return true;
    };

  /** Offsets that ran other than exactly once, as "offset×count" (empty when all ran once). */
  notOnce(): string[] {
    const bad: string[] = [];
    this.counts.forEach((c, i) => {
      if (c !== 1) bad.push(`${i}×${c}`);
    });
    return bad.slice(0, 20);
  }
}
