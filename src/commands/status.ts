import { Args, Flags } from '@oclif/core';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag, structuredOutputFlag } from '../cli/flags.js';
import {
  bar,
  itemMap,
  itemStates,
  progressLine,
  progressOf,
  progressSummary,
  secondaryKeyValues,
  secondaryLine,
  secondaryOf,
  secondaryProgress,
  type ItemStates,
  type Progress,
  type SecondaryProgress,
} from '../printers/progress.js';
import { formatOutput } from '../cli/output.js';
import { keepWatching } from '../cli/watch.js';
import { blocksOf, readWorklist } from '../worklist/read.js';
import { gatewayFlags, gatewayTarget } from '../cli/gateway-flags.js';
import { gatewayPaths, type GatewayTarget } from '../api/gateway.js';
import { gatewayRequest } from '../worker/gateway-api.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    "A Worklist's progress: a bar, items per second, ETA, and a map of its items; a parent's secondaries under it.";
  static override description =
    'On a terminal: a progress bar (completed green, failed red, in flight yellow), the counts, the rate and the time left, and a one-line map of the item space (█ done, ▒ in flight, ✗ failed, · pending), redrawn in place with -w until the Worklist is complete. When stdout is not a terminal: one line of key=value fields per change. Colours follow NO_COLOR.';
  static override examples = [
    'kubectl teamtask status primes -w',
    'kubectl teamtask status primes -o json',
    'kubectl teamtask status primes -w | tee progress.log',
    'TEAMTASK_TOKEN=ttk_… kubectl teamtask status primes -n team --server https://gateway.example.com --certificate-authority gateway.crt',
  ];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };
  static override flags = {
    watch: Flags.boolean({
      char: 'w',
      default: false,
      description: 'keep showing progress until the Worklist is complete',
    }),
    output: structuredOutputFlag(),
    interval: durationFlag({ default: 1000, description: 'how often -w looks (e.g. 2s)' }),
    ...gatewayFlags,
  };

  /** The gateway this reads through (--server), null when none; once per run. */
  private gateway?: GatewayTarget | null;

  public async run(): Promise<Progress> {
    if (this.flags.interval < 100) this.usage('--interval must be at least 100ms');
    const { output, watch } = this.flags;
    const tty = Boolean(process.stdout.isTTY) && !output;
    const style = { color: tty && !process.env.NO_COLOR };
    const samples: { t: number; finished: number }[] = [];
    let drawn = 0;
    let lastLine = '';
    let p: Progress;
    const look = async (): Promise<boolean> => {
      const { worklist, blocks } = await this.read();
      const now = new Date();
      const states = itemStates(worklist, blocks);
      const finished = states.done.size + states.failed.size;
      samples.push({ t: now.getTime(), finished });
      while (samples.length > 2 && samples[0]!.t < now.getTime() - 10_000) samples.shift();
      const first = samples[0]!;
      const rate =
        samples.length > 1 && now.getTime() > first.t
          ? ((finished - first.finished) * 1000) / (now.getTime() - first.t)
          : undefined;
      p = progressOf(worklist, states, now, rate);
      const tree = await this.secondaries(blocks, states, now);
      if (tree.length) p = { ...p, secondaries: tree };

      if (output) {
        // JSON once per change (with -w, one line each); YAML on every look.
        const text = formatOutput({ data: p }, output, { oneLine: watch }).text;
        if (output === 'yaml' || text !== lastLine) this.log(text);
        lastLine = text;
      } else if (tty) {
        const width = Math.max(20, Math.min((process.stdout.columns ?? 80) - 2, 100));
        // Every line fits the terminal: a wrapped one would break the redraw.
        const columns = (process.stdout.columns ?? 80) - 1;
        const lines = [
          `${p.name.slice(0, 30)}  ${bar(p, Math.max(10, width - Math.min(p.name.length, 30) - 10), style)}`,
          progressSummary(p).slice(0, columns),
          itemMap(states, width, style),
          ...tree.map((t) => secondaryLine(t).slice(0, columns)),
        ];
        // Redraw in place: back over what was drawn, clearing each line.
        const up = drawn ? `\x1b[${drawn}A` : '';
        process.stdout.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
        drawn = lines.length;
      } else {
        const line = progressLine({ ...p, itemsPerSecond: undefined, etaSeconds: undefined });
        // Plain lines, one per change (rate and ETA aside, which change on every look).
        const tail = tree.map(
          (t) => `  ${secondaryKeyValues({ ...t, itemsPerSecond: undefined, etaSeconds: undefined })}`,
        );
        const seen = [line, ...tail].join('\n');
        if (seen !== lastLine) {
          this.log(progressLine(p));
          for (const t of tree) this.log(`  ${secondaryKeyValues(t)}`);
        }
        lastLine = seen;
      }
      return !watch || p.complete;
    };
    await keepWatching(look, { signal: this.abortOnSignals(), intervalMs: this.flags.interval });
    return p!;
  }

  /**
   * The secondary Worklists working on this one (their Blocks here), each read where it is in
   * this cluster; one elsewhere, or that cannot be read, is shown as the parent sees it.
   */
  private async secondaries(blocks: Block[], states: ItemStates, now: Date): Promise<SecondaryProgress[]> {
    if (blocks.length === 0) return [];
    const { kc } = this.kube;
    return Promise.all(
      blocks
        .filter((b) => secondaryOf(b) && !b.metadata.deletionTimestamp)
        .map(async (b) => {
          const who = secondaryOf(b)!;
          const [ns, name] = who.name.split('/') as [string, string];
          const w = who.elsewhere ? undefined : await readWorklist(kc, ns, name).catch(() => undefined);
          return secondaryProgress(b, states, w, now);
        }),
    );
  }

  /**
   * The Worklist and its Blocks; through the gateway, the Worklist alone (a token reaches no
   * Block but its own): the ledger's counts, without the newer reports Blocks hold.
   */
  private async read(): Promise<{ worklist: Worklist; blocks: Block[] }> {
    this.gateway ??= gatewayTarget(this.flags, (m) => this.usage(m)) ?? null;
    const gateway = this.gateway;
    if (gateway) {
      const path = gatewayPaths(this.flags.namespace ?? 'default', this.args.name).worklist;
      return { worklist: await gatewayRequest<Worklist>(gateway, 'GET', path), blocks: [] };
    }
    const { kc, namespace } = this.kube;
    const [worklist, blocks] = await Promise.all([
      readWorklist(kc, namespace, this.args.name),
      blocksOf(kc, namespace, this.args.name),
    ]);
    return { worklist, blocks };
  }
}
