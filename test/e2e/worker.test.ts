import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshNamespace, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { readWorklist, fileLines } from '../support/read.js';
import { Background, startController } from '../support/processes.js';

// Workers as real processes (`kubectl teamtask work`, with a kubeconfig, as on a laptop) and the
// controller as a real process, against the real API server: every item is processed, none
// twice, a stopped worker gives back what it had not started, failing items end up failed.

const dir = mkdtempSync(join(tmpdir(), 'teamtask-worker-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;

const getWorklist = (name: string) => readWorklist(ns.name, name);

/** A worker whose command appends the item to `file` (after `delay` seconds). */
const worker = (worklist: string, file: string, extra: string[] = [], delay = 0) =>
  new Background([
    'work',
    worklist,
    '-n',
    ns.name,
    ...extra,
    '--',
    'sh',
    '-c',
    `${delay ? `sleep ${delay}; ` : ''}echo "$0" >> ${file}`,
    '{}',
  ]);

const lines = fileLines;

const create = (name: string, spec: unknown) => {
  const res = kubectlStdin(worklistYaml(name, spec), 'create', '-n', ns.name);
  expect(res.stderr).toBe('');
};

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  ns = await freshNamespace('e2e-worker');
  controller = startController();
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

describe('kubectl teamtask work', () => {
  it('with two workers, runs every item exactly once, exits 0 and removes its Block', async () => {
    create('nums', { source: range(1, 50), blockSize: 7 });
    const out = join(dir, 'nums');
    const workers = [worker('nums', out, ['--jobs', '3']), worker('nums', out)];
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    expect(
      lines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const w = await getWorklist('nums');
    expect(w.status).toMatchObject({ completed: '0-49', completedItems: 50, failedItems: 0 });
    expect(w.status!.conditions).toContainEqual(
      expect.objectContaining({ type: 'Complete', status: 'True' }),
    );
    // Each Block goes once the controller has let go of its finalizer.
    await eventually('the Blocks to go', async () =>
      kubectl('get', 'blocks', '-n', ns.name, '-o', 'name').stdout === '' ? true : undefined,
    );
    for (const x of workers) expect(x.output).toContain('worklist nums is finished');
  });

  it('stopped with SIGTERM, gives back what it had not started; another worker repeats nothing', async () => {
    create('slow', { source: range(1, 20), blockSize: 10 });
    const out = join(dir, 'slow');
    const first = worker('slow', out, [], 0.3);
    await eventually('the first items to run', async () => (lines(out).length >= 2 ? true : undefined));
    expect(await first.stop()).toBe(0);
    const doneByFirst = lines(out).length;
    expect(doneByFirst).toBeLessThan(20);
    const w1 = await getWorklist('slow');
    expect(w1.status!.completedItems).toBe(doneByFirst);
    expect(w1.status!.assignments).toEqual([]);
    const second = worker('slow', out);
    expect(await second.exited).toBe(0);
    expect(
      lines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await getWorklist('slow')).status).toMatchObject({
      completedItems: 20,
      failedItems: 0,
      retry: [],
    });
  });

  it('marks an item failed once its command failed maxAttempts times, and still finishes', async () => {
    create('flaky', { source: { inline: ['a', 'b', 'c'] }, blockSize: 3, maxAttempts: 2 });
    const w = new Background(['work', 'flaky', '-n', ns.name, '--', 'sh', '-c', 'test "$0" != b', '{}']);
    expect(await w.exited).toBe(0);
    expect((await getWorklist('flaky')).status).toMatchObject({
      completed: '0,2',
      failed: '1',
      failedItems: 1,
    });
  });

  it.each([
    {
      name: 'an unknown Worklist',
      args: ['work', 'nope', '-n', 'default', '--', 'true'],
      stderr:
        'error: worklist "nope" not found in namespace default\nhint: check the name (kubectl get worklists) and -n\n',
    },
    {
      name: 'no command',
      args: ['work', 'nums', '-n', 'default'],
      stderr:
        'error: no command given\nhint: put the command after --, e.g. kubectl teamtask work primes -- ./check.sh {}\n',
    },
  ])('refuses $name with one line and exit 1', ({ args, stderr }) => {
    const res = teamtask(...args);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(stderr);
  });
});
