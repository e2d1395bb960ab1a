import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { Config, Flags } from '@oclif/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BaseCommand, oneLine } from './base-command.js';
import { getOutputFlag } from './get-output.js';
import type { Printable } from './output.js';

describe('a parse error', () => {
  it.each([
    [
      'a missing argument, without the note on flags that take several values',
      'Missing 1 required arg:\nname  the Worklist name\nSee more help with --help\n\nNote: --pod-annotation allows multiple values. Because of this you need to provide all arguments before providing that flag.',
      'Missing 1 required arg: name  the Worklist name',
    ],
    [
      'a flag value, naming the flag',
      'Parsing --jobs \n\tExpected an integer but received: x',
      '--jobs: Expected an integer but received: x',
    ],
  ])('reads as one line: %s', (_, message, line) => {
    expect(oneLine(message)).toBe(line);
  });
});

// A command of its own, run the way oclif runs every command (parse, run, catch, finally).
const shown: Printable = {
  data: { kind: 'List', items: [{ metadata: { name: 'primes' } }] },
  names: () => ['worklist.teamtask.dev/primes'],
  human: (wide) => (wide ? 'NAME     ITEMS\nprimes   10' : 'NAME\nprimes'),
};

class Printing extends BaseCommand<typeof Printing> {
  static override flags = { output: getOutputFlag() };
  public async run(): Promise<void> {
    this.print(shown, this.flags.output);
  }
}

let stopSignal: AbortSignal | undefined;
class Waiting extends BaseCommand<typeof Waiting> {
  static override flags = { fail: Flags.boolean() };
  public async run(): Promise<void> {
    stopSignal = this.abortOnSignals();
    if (this.flags.fail) throw new Error('it failed');
  }
}

let config: Config;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'teamtask-base-command-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'probe', version: '0.0.0', oclif: {} }));
  config = await Config.load(root);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** What a run writes to stdout: lines through oclif's log (console.log), and text written as it is. */
async function stdoutOf(run: () => Promise<unknown>): Promise<string> {
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void (out += `${format(...args)}\n`));
  const write = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    await run();
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return out;
}

describe('every command prints through one printer', () => {
  it.each([
    { name: 'its human text when no -o is given', argv: [], out: 'NAME\nprimes\n' },
    { name: 'its wide text for -o wide', argv: ['-o', 'wide'], out: 'NAME     ITEMS\nprimes   10\n' },
    {
      name: 'JSON for -o json, as kubectl indents it',
      argv: ['-o', 'json'],
      out: `${JSON.stringify(shown.data, null, 4)}\n`,
    },
    {
      name: 'YAML for -o yaml',
      argv: ['-o', 'yaml'],
      out: 'kind: List\nitems:\n  - metadata:\n      name: primes\n',
    },
    { name: 'the object names for -o name', argv: ['-o', 'name'], out: 'worklist.teamtask.dev/primes\n' },
    {
      name: 'the jsonpath template filled in, without a line break, for -o jsonpath=',
      argv: ['-o', 'jsonpath={.items[0].metadata.name}'],
      out: 'primes',
    },
  ])('$name', async ({ argv, out }) => {
    expect(await stdoutOf(() => Printing.run(argv, config))).toBe(out);
  });
});

describe('abortOnSignals', () => {
  const handlers = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'aborts on %s, and lets the same signal again end the process',
    async (signal) => {
      const before = handlers();
      let aborted: AbortSignal | undefined;
      class Probe extends BaseCommand<typeof Probe> {
        public async run(): Promise<void> {
          aborted = this.abortOnSignals();
          expect(handlers()).toEqual(before.map((n) => n + 1));
          process.emit(signal);
          expect(process.listenerCount(signal)).toBe(before[signal === 'SIGINT' ? 0 : 1]);
        }
      }
      await Probe.run([], config);
      expect(aborted?.aborted).toBe(true);
    },
  );

  it.each([
    { name: 'removes its handlers when the command ends', argv: [], fails: false },
    { name: 'removes its handlers when the command fails', argv: ['--fail'], fails: true },
  ])('$name', async ({ argv, fails }) => {
    const before = handlers();
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const run = Waiting.run(argv, config);
    if (fails) await expect(run).rejects.toThrow('EEXIT: 1');
    else await run;
    expect(stderr.mock.calls.flat()).toEqual(fails ? ['error: it failed'] : []);
    expect(stopSignal?.aborted).toBe(false);
    expect(handlers()).toEqual(before);
  });

  it('aborts the controller it is given, so a command can also stop for reasons of its own', async () => {
    const stop = new AbortController();
    class Probe extends BaseCommand<typeof Probe> {
      public async run(): Promise<void> {
        expect(this.abortOnSignals(stop)).toBe(stop.signal);
        process.emit('SIGTERM');
      }
    }
    await Probe.run([], config);
    expect(stop.signal.aborted).toBe(true);
  });
});
