import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../../src/controller/metrics.js';
import { eventually, freshNamespace, kubectlStdin, teamtask } from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { fileLines, readBlock, readWorklist } from '../support/read.js';
import {
  Background,
  controllerMetrics,
  startController,
  withoutInClusterController,
} from '../support/processes.js';

// Tail stealing end to end: two worker processes and the controller as a real process, against
// the real API server. One worker holds a slow range (ten items of 2 s) while the other runs
// through the rest in a few seconds and idles: the controller asks the slow range's worker to
// yield its unstarted tail, and hands what it yields to the idle one. No timing is asserted:
// the slow range lasts 20 s, the steal takes a few.

const dir = mkdtempSync(join(tmpdir(), 'teamtask-steal-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background | undefined;
// Leader election off: the test kills the controller with SIGKILL, and a new one must not wait
// for the dead one's Lease to run out.
const start = () => startController('--no-leader-elect');

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-steal');
  controller = start();
});
afterAll(async () => {
  await controller?.stop();
  await ns?.remove();
});

/** A worker whose Block is WORKLIST-NAME; it records "ITEM NAME" in `file`; items 1-10 take 2 s. */
const worker = (worklist: string, name: string, file: string) =>
  new Background([
    'work',
    worklist,
    '-n',
    ns.name,
    '--block',
    `${worklist}-${name}`,
    '--',
    'sh',
    '-c',
    `if [ "$0" -le 10 ]; then sleep 2; fi; echo "$0 ${name}" >> ${file}`,
    '{}',
  ]);

/**
 * Items 1-100 in ranges of 10: worker a takes the first range (the slow one), then worker b
 * starts and gets the other nine.
 */
async function slowRangeAndAnIdleWorker(name: string) {
  expect(
    kubectlStdin(worklistYaml(name, { source: range(1, 100), blockSize: 10 }), 'create', '-n', ns.name)
      .stderr,
  ).toBe('');
  const out = join(dir, name);
  const a = worker(name, 'a', out);
  await eventually('a to hold the slow range', async () => {
    const s = (await readBlock(ns.name, `${name}-a`)).status;
    return s?.phase === 'Ready' && s.index === 0 ? true : undefined;
  });
  return { a, b: worker(name, 'b', out), out };
}

/** Who ran each item, in the order they finished: item → worker names. */
function whoRan(file: string): Map<number, string[]> {
  const who = new Map<number, string[]>();
  for (const line of fileLines(file)) {
    const [item, name] = line.split(' ');
    who.set(Number(item), [...(who.get(Number(item)) ?? []), name!]);
  }
  return who;
}

/** Every item of 1-100 ran exactly once; returns who ran the slow ones, 1-10. */
function onceEach(file: string): string[] {
  const who = whoRan(file);
  const notOnce = Array.from({ length: 100 }, (_, i) => i + 1).filter((i) => who.get(i)?.length !== 1);
  expect(notOnce.map((i) => `${i}×${who.get(i)?.length ?? 0}`)).toEqual([]);
  return Array.from({ length: 10 }, (_, i) => who.get(i + 1)![0]!);
}

describe('tail stealing', () => {
  it('hands the unstarted tail of a slow range to an idle worker while its worker keeps running: each item runs once', async () => {
    const { a, b, out } = await slowRangeAndAnIdleWorker('tail');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    const slow = onceEach(out);
    // a kept the head of its range and ran it to the end; b ran the tail it was given.
    expect(slow[0]).toBe('a');
    expect(slow).toContain('b');
    expect(a.output).toMatch(/yielding offsets \d+-9 of this range/);
    expect(a.output).not.toContain('abandoning');
    const w = await readWorklist(ns.name, 'tail');
    // What moved was never started: no attempt charged, nothing in the retry pool.
    expect(w.status).toMatchObject({ completed: '0-99', failedItems: 0, retry: [] });
    const asks = sample(await controllerMetrics(controller!), 'teamtask_controller_steal_asks_total');
    expect(asks).toBeGreaterThanOrEqual(1);
  });

  it('loses nothing and runs nothing twice when the controller is killed between its ask and the answer', async () => {
    const { a, b, out } = await slowRangeAndAnIdleWorker('midsteal');
    // a is held still until the controller is gone: a worker that reads its Block between two
    // polls of this test would otherwise answer, and the controller move the tail, unseen (the
    // ask and the answer can both fall within one poll). Its running item goes on meanwhile; b
    // needs seconds to run out of ranges, so the ask comes after this.
    a.child.kill('SIGSTOP');
    await eventually('the controller to ask a to yield', async () =>
      (await readBlock(ns.name, 'midsteal-a')).status?.yieldFrom !== undefined ? true : undefined,
    );
    controller!.child.kill('SIGKILL');
    await controller!.exited;
    controller = undefined;
    a.child.kill('SIGCONT');
    // a answers while no controller runs: its answer waits in its Block.
    const answer = await eventually(
      'a to answer',
      async () => (await readBlock(ns.name, 'midsteal-a')).spec.report?.yieldFrom,
    );
    expect(answer).toBeLessThanOrEqual(10);
    controller = start();
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    const slow = onceEach(out);
    expect(slow[0]).toBe('a');
    // What a yielded (offsets from its answer on) went to b (which may yield part of it back,
    // once a idles in turn).
    expect(slow.slice(answer)).toContain('b');
    expect((await readWorklist(ns.name, 'midsteal')).status).toMatchObject({
      completed: '0-99',
      failedItems: 0,
      retry: [],
    });
  });
});
