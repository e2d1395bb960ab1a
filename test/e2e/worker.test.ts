import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  eventually,
  freshNamespace,
  kubeConfig,
  kubeconfigFor,
  kubectl,
  kubectlStdin,
  teamtask,
} from '../support/kube.js';
import { RangeSet } from '../../src/ledger/range-set.js';
import { range, worklistYaml } from '../support/objects.js';
import { readBlock, readWorklist, fileLines } from '../support/read.js';
import { Background, startController, withoutInClusterController } from '../support/processes.js';

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
  await withoutInClusterController();
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
    // The release is folded before the Block goes (its finalizer waits for the controller).
    const w1 = await eventually('the release to be folded', async () => {
      const w = await getWorklist('slow');
      return w.status!.assigned!.length === 0 ? w : undefined;
    });
    expect(w1.status!.completedItems).toBe(doneByFirst);
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

  it("reports each range afresh: a slow second range is not cut short by the first one's completion", async () => {
    create('twice', { source: range(1, 6), blockSize: 3, maxAttempts: 1 });
    const out = join(dir, 'twice');
    // 1.8 s a range: progress reports land mid-range, after the first range's complete report.
    expect(await worker('twice', out, [], 0.6).exited).toBe(0);
    expect(
      lines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await getWorklist('twice')).status).toMatchObject({ completed: '0-5', failedItems: 0 });
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

  it('with --per-block, finds the 9592 primes up to 100,000 with 4 workers, each number checked once', async () => {
    create('primes', { source: range(1, 100_000), blockSize: 1000 });
    const workers = Array.from(
      { length: 4 },
      () =>
        new Background([
          'work',
          'primes',
          '-n',
          ns.name,
          '--per-block',
          '--',
          'sh',
          'examples/primes-per-block.sh',
        ]),
    );
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);
    const found = workers.flatMap((w) => w.stdout.split('\n').filter(Boolean));
    expect(found).toHaveLength(9592);
    expect(new Set(found).size).toBe(9592);
    expect(found.every((l) => /^\d+$/.test(l))).toBe(true); // progress lines are not passed through
    expect((await getWorklist('primes')).status).toMatchObject({ completed: '0-99999', failedItems: 0 });
  });

  it('with --per-block, gives the command its block in the environment and fails what it did not finish', async () => {
    create('env', { source: { inline: ['a', 'b', 'c', 'd'] }, blockSize: 4, maxAttempts: 1 });
    const out = join(dir, 'env');
    const script = `echo "$TEAMTASK_LIST $TEAMTASK_BLOCK_INDEX $TEAMTASK_BLOCK_SIZE $TEAMTASK_ATTEMPT $(tr '\\n' ,)" >> ${out}; echo teamtask:done 2; exit 3`;
    const w = new Background(['work', 'env', '-n', ns.name, '--per-block', '--', 'sh', '-c', script]);
    expect(await w.exited).toBe(0);
    expect(lines(out)).toEqual(['env 0 4 1 a,b,c,d,']);
    expect((await getWorklist('env')).status).toMatchObject({ completed: '0-1', failed: '2-3' });
  });

  it('with --tag, prefixes each line of an item with the item', async () => {
    create('tagged', { source: { inline: ['p', 'q'] }, blockSize: 2 });
    const w = new Background([
      'work',
      'tagged',
      '-n',
      ns.name,
      '--tag',
      '--',
      'sh',
      '-c',
      'echo one; echo two',
      '{}',
    ]);
    expect(await w.exited).toBe(0);
    expect(w.stdout.split('\n').filter(Boolean).sort()).toEqual(['p\tone', 'p\ttwo', 'q\tone', 'q\ttwo']);
  });

  it('killed with SIGKILL mid-block with a next range assigned, loses no item and repeats nothing of the next range: another worker finishes, later workers run nothing again', async () => {
    create('crash', { source: range(1, 40), blockSize: 10, leaseSeconds: 5 });
    const out = join(dir, 'crash');
    const victim = worker('crash', out, ['--block', 'crash-victim'], 0.5);
    // Mid-block: it has reported part of the range it holds, not all of it (its progress is
    // written every third of the 5 s lease, 1.7 s, on its once-a-second tick; an item takes
    // 0.5 s, a block 5 s), and it holds a next range.
    const held = await eventually('the victim to report part of its range', async () => {
      const b = await readBlock(ns.name, 'crash-victim');
      const r = b.spec.report;
      return b.status?.phase === 'Ready' &&
        b.status.next &&
        r &&
        r.token === b.status.token &&
        r.done &&
        !r.complete
        ? b.status
        : undefined;
    });
    // Alone on 40 items, once it finished its first range it also holds the range it would
    // start next (never started): killed in its second range.
    const nextRange = RangeSet.span(held.next!.index, held.next!.index + held.next!.size - 1);
    victim.child.kill('SIGKILL');
    await victim.exited;
    // What it reported last on that range (a dead worker writes nothing more).
    const report = (await readBlock(ns.name, 'crash-victim')).spec.report!;
    expect(report.token).toBe(held.token);
    const victimRange = RangeSet.span(Number(held.index), Number(held.index) + Number(held.size) - 1);
    const reported = RangeSet.parse(report.done ?? '');
    expect(reported.isEmpty).toBe(false);
    expect(victimRange.subtract(reported).isEmpty).toBe(false);
    expect(reported.subtract(victimRange).isEmpty).toBe(true);

    const successor = worker('crash', out, ['--block', 'crash-successor']);
    expect(await successor.exited).toBe(0);
    const ran = lines(out);
    // Runs per offset (item i is offset i - 1).
    const runs = Array.from(
      { length: 40 },
      (_, offset) => ran.filter((x) => x === String(offset + 1)).length,
    );
    const where = (keep: (offset: number) => boolean) =>
      runs.flatMap((n, offset) => (keep(offset) ? [`${offset}×${n}`] : []));
    // No item lost, and only what the victim ran without reporting (its command may even finish
    // after it, as an orphan) may run twice: the rest of its range and everything outside it ran
    // exactly once, what it reported was not run again.
    expect(where((o) => runs[o] === 0)).toEqual([]);
    expect(where((o) => !victimRange.has(o) && runs[o] !== 1)).toEqual([]);
    expect(where((o) => reported.has(o) && runs[o] !== 1)).toEqual([]);
    expect(where((o) => nextRange.has(o) && runs[o] !== 1)).toEqual([]);
    expect(where((o) => runs[o]! > 2)).toEqual([]);
    expect((await getWorklist('crash')).status).toMatchObject({ completed: '0-39', completedItems: 40 });
    expect((await readBlock(ns.name, 'crash-victim')).status?.phase).toMatch(/^(Lost|Drained)$/);

    const again = [worker('crash', out), worker('crash', out)];
    expect(await Promise.all(again.map((w) => w.exited))).toEqual([0, 0]);
    expect(lines(out)).toHaveLength(ran.length);
  });

  it('frozen longer than its lease (SIGSTOP), abandons its lost range, comes back from Lost and finishes', async () => {
    create('frozen', { source: range(1, 12), blockSize: 6, leaseSeconds: 5 });
    const out = join(dir, 'frozen');
    const w = worker('frozen', out, ['--block', 'frozen-w'], 0.3);
    await eventually('the first items to run', async () => (lines(out).length >= 2 ? true : undefined));
    w.child.kill('SIGSTOP');
    await eventually(
      'its Block to be Lost',
      async () => ((await readBlock(ns.name, 'frozen-w')).status?.phase === 'Lost' ? true : undefined),
      30_000,
    );
    // The command that ran when it froze has finished meanwhile (it is in its own process group).
    const beforeWaking = lines(out).length;
    w.child.kill('SIGCONT');
    expect(await w.exited).toBe(0);
    expect(w.output).toMatch(
      /teamtask: the range 0-5 is not this Block's any more \(its lease ran out, or the Block was deleted\): abandoning it/,
    );
    // Awake, it asked before starting anything: no item of the lost range started on old news.
    // It then ran 0-5 again (its new range, attempt 2) and 6-11.
    expect(lines(out)).toHaveLength(beforeWaking + 12);
    // Its first report after waking (a late one, ignored) was the sign of life that ended Lost.
    expect(new Set(lines(out))).toEqual(new Set(Array.from({ length: 12 }, (_, i) => String(i + 1))));
    expect((await getWorklist('frozen')).status).toMatchObject({ completed: '0-11', failedItems: 0 });
  });

  it('without permission to make its Block, says so in one line and exits 1', async () => {
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'reader' } } });
    const asReader = await kubeconfigFor(ns.name, 'reader', dir);
    const res = teamtask('work', 'nums', '--kubeconfig', asReader, '--', 'true');
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /^error: forbidden: .*cannot get resource "worklists".*\nhint: ask a cluster admin for a Role/,
    );
  });

  it('after retry --failed, runs the failed items again; after retry --range, completed ones too', async () => {
    // flaky, from the test above: b (offset 1) failed its two attempts.
    const retried = teamtask('retry', 'flaky', '-n', ns.name, '--failed');
    expect(retried.stdout).toBe('worklist.teamtask.dev/flaky: 1 item(s) back in the pool (offsets 1)\n');
    expect(retried.stderr).toMatch(/^hint: no worker is attached; start some: kubectl teamtask work flaky/);
    const out = join(dir, 'flaky');
    expect(await worker('flaky', out).exited).toBe(0);
    expect(lines(out)).toEqual(['b']);
    expect((await getWorklist('flaky')).status).toMatchObject({
      completed: '0-2',
      failed: '',
      retryApplied: 1,
    });

    expect(teamtask('retry', 'flaky', '-n', ns.name, '--range', '0,2').stdout).toBe(
      'worklist.teamtask.dev/flaky: 2 item(s) back in the pool (offsets 0,2)\n',
    );
    expect(await worker('flaky', out).exited).toBe(0);
    expect(lines(out).sort()).toEqual(['a', 'b', 'c']);
    // Each request stands alone: the last one's range is not asked for again.
    expect(teamtask('retry', 'flaky', '-n', ns.name, '--failed').stdout).toBe(
      'worklist.teamtask.dev/flaky: nothing to put back (no such item is completed or failed)\n',
    );
  });

  it.each([
    {
      name: 'a retry of nothing',
      args: ['retry', 'flaky'],
      code: 2,
      stderr: /say what to retry: --failed, --range A-B, or both/,
    },
    {
      name: 'a range that is not offsets',
      args: ['retry', 'flaky', '--range', '3-x'],
      code: 1,
      stderr: /^error: --range "3-x" is not a list of offsets\nhint: /,
    },
    {
      name: 'an unknown Worklist',
      args: ['retry', 'nope', '--failed'],
      code: 1,
      stderr: /^error: worklist "nope" not found in namespace /,
    },
  ])('refuses $name with exit $code', ({ args, code, stderr }) => {
    const res = teamtask(...args, '-n', ns.name);
    expect(res.status).toBe(code);
    expect(res.stderr).toMatch(stderr);
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
