import { spawn } from 'node:child_process';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type BlockSpecReport,
  type Worklist,
} from '../api/v1alpha1/index.js';
import { apiStatus, HintedError, isApiError } from '../kube/errors.js';
import { RangeSet } from '../ledger/range-set.js';
import { POD_LABEL } from '../controller/pods.js';
import { itemAt, itemLines, substitute } from './items.js';

export interface WorkerOptions {
  namespace: string;
  worklist: string;
  /** The Block this worker creates and owns. */
  block: string;
  /** Who works here, for people: pod name or user@host. */
  identity: string;
  /** The pod this worker runs in, if any: the controller watches it to tell a dead worker. */
  pod?: string;
  command: readonly string[];
  /** Items run at once. */
  jobs: number;
  pollMs?: number;
  reportEveryMs?: number;
  log?: (line: string) => void;
}

const api = { group: GROUP, version: VERSION };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The worker runtime: creates its Block, waits for a range without watching anything shared
 * (it polls its own Block), runs the command per item, reports progress cumulatively with the
 * range's fencing token, and exits 0 once the Worklist is finished. On abort (SIGTERM) it lets
 * running items finish, reports them, gives back the rest, and exits 0.
 */
export class Worker {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly log: (line: string) => void;

  constructor(
    kc: KubeConfig,
    private readonly o: WorkerOptions,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.log = o.log ?? (() => {});
  }

  async run(signal: AbortSignal): Promise<{ completed: number; failed: number }> {
    const worklist = await this.readWorklist();
    const lines = worklist.spec.source.configMap ? await this.readLines(worklist) : undefined;
    await this.createBlock(signal);
    this.log(`block ${this.o.block} working on worklist ${this.o.worklist}`);
    let lastToken: number | undefined;
    const totals = { completed: 0, failed: 0 };
    try {
      while (!signal.aborted) {
        const status = (await this.getBlock()).status;
        if (status?.phase === 'Drained') {
          this.log(`worklist ${this.o.worklist} is finished`);
          break;
        }
        if (status?.phase !== 'Ready' || status.token === lastToken) {
          await sleep(this.o.pollMs ?? 250);
          continue;
        }
        lastToken = status.token!;
        const result = await this.processRange(
          worklist,
          lines,
          Number(status.index),
          Number(status.size),
          lastToken,
          signal,
        );
        totals.completed += result.done.size;
        totals.failed += result.failed.size;
      }
    } finally {
      await this.deleteBlock();
    }
    return totals;
  }

  private async processRange(
    worklist: Worklist,
    lines: readonly string[] | undefined,
    index: number,
    size: number,
    token: number,
    signal: AbortSignal,
  ): Promise<{ done: RangeSet; failed: RangeSet }> {
    let done = RangeSet.EMPTY;
    let failed = RangeSet.EMPTY;
    let lost = false;
    let next = index;
    const end = index + size;
    const report = (extra: Partial<BlockSpecReport> = {}) =>
      this.report({
        token,
        done: done.toString(),
        failed: failed.toString(),
        renewTime: new Date().toISOString(),
        ...extra,
      });

    // Progress and lease renewal while items run; also notices a lost assignment.
    const ticker = setInterval(() => {
      void report()
        .then(() => this.getBlock())
        .then((b) => {
          if (b.status?.token !== token) lost = true;
        })
        .catch((err: unknown) => this.log(`progress report failed: ${String(err)}`));
    }, this.o.reportEveryMs ?? 1000);

    const runOne = async (): Promise<void> => {
      while (next < end && !signal.aborted && !lost) {
        const offset = next++;
        const item = itemAt(worklist.spec.source, offset, lines);
        const ok = await this.runItem(substitute(this.o.command, item, offset));
        const point = RangeSet.span(offset, offset);
        if (ok) done = done.union(point);
        else failed = failed.union(point);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.o.jobs) }, runOne));
    } finally {
      clearInterval(ticker);
    }
    if (lost) {
      this.log(`lost the range ${index}-${end - 1} (its lease ran out): abandoning it`);
    } else if (signal.aborted && next < end) {
      await report({ release: true });
      await this.waitForController(token);
    } else {
      await report({ complete: true });
    }
    return { done, failed };
  }

  private runItem(argv: string[]): Promise<boolean> {
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', (err) => {
        this.log(`cannot run ${argv[0]}: ${err.message}`);
        resolve(false);
      });
      child.once('exit', (code) => resolve(code === 0));
    });
  }

  private async readWorklist(): Promise<Worklist> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...api,
        plural: WORKLIST_PLURAL,
        namespace: this.o.namespace,
        name: this.o.worklist,
      })) as Worklist;
    } catch (err) {
      if (isApiError(err, 404)) {
        throw new HintedError(
          `worklist "${this.o.worklist}" not found in namespace ${this.o.namespace}`,
          'check the name (kubectl get worklists) and -n',
        );
      }
      throw err;
    }
  }

  private async readLines(w: Worklist): Promise<string[]> {
    const source = w.spec.source.configMap!;
    const cm = await this.core.readNamespacedConfigMap({ name: source.name, namespace: this.o.namespace });
    return itemLines(cm.data?.[source.key ?? 'items'] ?? '');
  }

  /** Creates the Block, or takes over one of the same name (a restarted pod), clearing its old report. */
  private async createBlock(signal: AbortSignal): Promise<void> {
    const body: Block = {
      apiVersion: API_VERSION,
      kind: 'Block',
      metadata: {
        name: this.o.block,
        labels: {
          'teamtask.dev/worklist': this.o.worklist,
          ...(this.o.pod ? { [POD_LABEL]: this.o.pod } : {}),
        },
      },
      spec: { worklist: this.o.worklist, worker: this.o.identity },
    };
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await this.custom.createNamespacedCustomObject({
          ...api,
          plural: BLOCK_PLURAL,
          namespace: this.o.namespace,
          body,
        });
        return;
      } catch (err) {
        if (isApiError(err, 409)) {
          await this.patchBlock({ spec: { worker: this.o.identity, report: null } });
          return;
        }
        const quota =
          err instanceof ApiException &&
          err.code === 403 &&
          /exceeded quota/.test(apiStatus(err)?.message ?? '');
        if (!quota || signal.aborted) throw err;
        this.log(
          `a ResourceQuota refuses the Block (${apiStatus(err)?.message}); retrying in ${delay / 1000} s`,
        );
        await sleep(delay);
      }
    }
  }

  private async getBlock(): Promise<Block> {
    return (await this.custom.getNamespacedCustomObject({
      ...api,
      plural: BLOCK_PLURAL,
      namespace: this.o.namespace,
      name: this.o.block,
    })) as Block;
  }

  private report(report: BlockSpecReport): Promise<unknown> {
    return this.patchBlock({ spec: { report } });
  }

  private patchBlock(body: unknown): Promise<unknown> {
    return this.custom.patchNamespacedCustomObject(
      { ...api, plural: BLOCK_PLURAL, namespace: this.o.namespace, name: this.o.block, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** After a release, the controller must fold it before the Block goes (deleting first would cost an attempt). */
  private async waitForController(token: number): Promise<void> {
    for (let i = 0; i < 40; i++) {
      const s = (await this.getBlock()).status;
      if (s?.phase !== 'Ready' || s.token !== token) return;
      await sleep(250);
    }
    this.log(
      'the controller did not confirm the release in 10 s: the unreported items will count as an attempt',
    );
  }

  private async deleteBlock(): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({
        ...api,
        plural: BLOCK_PLURAL,
        namespace: this.o.namespace,
        name: this.o.block,
      });
    } catch (err) {
      if (!isApiError(err, 404)) this.log(`could not delete block ${this.o.block}: ${String(err)}`);
    }
  }
}
