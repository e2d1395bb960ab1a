import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { failureReason, oomKills } from './oom.js';

/**
 * How one run of the user's command ended: `done` (exit 0), `failed` (non-zero), or
 * `interrupted` (it ended while the worker was stopping, or was stopped: not held against the
 * items, which go back to the pool).
 */
export type Outcome = 'done' | 'failed' | 'interrupted';

export interface RunOptions {
  /** True once the worker is shutting down: a failure now may be our own signal's doing. */
  stopping: () => boolean;
  /** Aborted when the grace period is over: the command's group gets SIGTERM, then SIGKILL 5 s later. */
  kill: AbortSignal;
  log: (line: string) => void;
  /** Told why a run failed (exit code, signal, the out-of-memory killer), for the report. */
  onFailure?: (why: string) => void;
}

/** Runs one item's command, its output passed through (each line prefixed by `tag` if given). */
export function runItem(argv: readonly string[], o: RunOptions & { tag?: string }): Promise<Outcome> {
  const tagged = o.tag !== undefined;
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', tagged ? 'pipe' : 'inherit', tagged ? 'pipe' : 'inherit'],
    detached: true,
  });
  if (tagged) {
    prefixLines(child.stdout!, process.stdout, `${o.tag}\t`);
    prefixLines(child.stderr!, process.stderr, `${o.tag}\t`);
  }
  return outcome(child, argv, o);
}

/**
 * Runs a whole block's command: the items on its stdin, one per line, the block in its
 * environment. A stdout line `teamtask:done N` says the first N items are done (it is not
 * passed through); other output is.
 */
export function runBlock(
  argv: readonly string[],
  items: readonly string[],
  env: Record<string, string>,
  onDone: (count: number) => void,
  o: RunOptions,
): Promise<Outcome> {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    detached: true,
  });
  // A command that does not read its stdin closes it early: that is its business.
  child.stdin!.on('error', () => {});
  child.stdin!.end(items.length ? `${items.join('\n')}\n` : '');
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = /^teamtask:done (\d+)\s*$/.exec(line);
    if (m) onDone(Number(m[1]));
    else process.stdout.write(`${line}\n`);
  });
  return outcome(child, argv, o);
}

/**
 * Commands run in their own process group (`detached`): a Ctrl-C meant for the worker does not
 * reach them, so they finish within the grace period; when it is over the whole group, shell
 * children included, gets SIGTERM, then SIGKILL. A command that was stopped counts as
 * interrupted whatever its exit code: it may not have finished.
 */
function outcome(child: ChildProcess, argv: readonly string[], o: RunOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let killTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    const oomBefore = oomKills();
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onKill = () => {
      stopped = true;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), 5000);
    };
    o.kill.addEventListener('abort', onKill, { once: true });
    if (o.kill.aborted) onKill();
    const settle = (result: Outcome) => {
      o.kill.removeEventListener('abort', onKill);
      clearTimeout(killTimer);
      resolve(result);
    };
    child.once('error', (err) => {
      o.log(`cannot run ${argv[0]}: ${err.message}`);
      o.onFailure?.(`cannot run ${argv[0]}: ${err.message}`);
      settle('failed');
    });
    child.once('close', (code, signal) => {
      if (stopped) settle('interrupted');
      else if (code === 0) settle('done');
      else if (o.stopping()) settle('interrupted');
      else {
        const why = failureReason(code, signal, oomBefore, oomKills());
        if (why.startsWith('killed by the out-of-memory killer')) o.log(`${argv[0]}: ${why}`);
        o.onFailure?.(why);
        settle('failed');
      }
    });
  });
}

function prefixLines(from: NodeJS.ReadableStream, to: Writable, prefix: string): void {
  createInterface({ input: from }).on('line', (line) => to.write(`${prefix}${line}\n`));
}
