import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Block, BlockSpecReport, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import { HintedError } from '../kube/errors.js';
import type { BlockApi } from './block-client.js';
import { BlockGone, Worker, type WorkerOptions } from './worker.js';

const worklist: Worklist = {
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Worklist',
  metadata: { name: 'primes', namespace: 'ns', uid: 'uid-1' },
  spec: { source: { range: { start: 100, end: 999 } }, blockSize: 10 },
};

const ready = (token: number, index: number, size: number): BlockStatus => ({
  phase: 'Ready',
  token,
  index,
  size,
});
const lost = (token: number, generation: number): BlockStatus => ({
  phase: 'Lost',
  token,
  observedGeneration: generation,
});
const pending: BlockStatus = { phase: 'Pending' };
const drained: BlockStatus = { phase: 'Drained' };

/**
 * The worker's Block as the controller would write it: `script` sets the status at the n-th read
 * of the claim loop or the heartbeat (1-based); it stays until changed.
 */
class FakeBlockApi implements BlockApi {
  name = '';
  status: BlockStatus = pending;
  deleting = false;
  gone = false;
  reads = 0;
  reports: BlockSpecReport[] = [];
  deleted = 0;
  script: Record<number, BlockStatus | (() => BlockStatus)> = {};
  onReport?: (r: BlockSpecReport) => void;

  async readWorklist() {
    return worklist;
  }
  async readItems() {
    return { source: worklist.spec.source };
  }
  async create() {
    this.name = 'primes-host-1';
  }
  async get(): Promise<Block> {
    const next = this.script[++this.reads];
    if (next) this.status = typeof next === 'function' ? next() : next;
    if (this.gone) throw new BlockGone(this.name, 'primes', 'ns');
    return {
      apiVersion: 'teamtask.dev/v1alpha1',
      kind: 'Block',
      metadata: { name: this.name, ...(this.deleting ? { deletionTimestamp: new Date() as never } : {}) },
      spec: { worklist: 'primes' },
      status: this.status,
    };
  }
  async writeReport(r: BlockSpecReport) {
    this.reports.push(r);
    this.onReport?.(r);
  }
  async patch() {}
  async delete() {
    this.deleted++;
  }
  async goneReason() {
    return new HintedError('the Block was deleted', 'run again');
  }
}

function worker(api: FakeBlockApi, o: Partial<WorkerOptions> = {}) {
  const log: string[] = [];
  const started: number[] = [];
  const w = new Worker(
    new KubeConfig(),
    {
      namespace: 'ns',
      worklist: 'primes',
      identity: 'me',
      command: [],
      jobs: 1,
      pollMs: 1,
      // No heartbeat reads unless a case asks for them: the script counts every read.
      reportEveryMs: 60_000,
      execute: async (_item, offset) => {
        started.push(offset);
        return true;
      },
      log: (l) => log.push(l),
      ...o,
    },
    api,
  );
  return { w, log, started };
}

/** What a report says, without its time and the range size it asks for (both from the clock). */
const said = (r: BlockSpecReport) => {
  const { renewTime, rangeSize, ...rest } = r;
  expect(renewTime).toMatch(/^\d{4}-/);
  if (rangeSize !== undefined) expect(rangeSize).toBeGreaterThanOrEqual(1);
  return rest;
};

const never = new AbortController().signal;

describe('the claim loop', () => {
  it('stops, finished, when its Block is Drained, and deletes its Block', async () => {
    const api = new FakeBlockApi();
    api.status = drained;
    const { w, log } = worker(api);
    expect(await w.run(never)).toEqual({ completed: 0, failed: 0, finished: true });
    expect(w.blockName).toBe('primes-host-1');
    expect(api.deleted).toBe(1);
    expect(log).toEqual(['block primes-host-1 working on worklist primes', 'worklist primes is finished']);
  });

  it('waits while its Block is Pending, polling again', async () => {
    const api = new FakeBlockApi();
    api.script = { 5: drained };
    const { w, started } = worker(api);
    expect((await w.run(never)).finished).toBe(true);
    expect(api.reads).toBe(5);
    expect(started).toEqual([]);
  });

  it('acknowledges a Lost Block once per loss, with the old token and no progress', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: lost(5, 3), 4: lost(5, 4), 6: drained };
    const { w, started } = worker(api);
    await w.run(never);
    expect(api.reports.map(said)).toEqual([{ token: 5 }, { token: 5 }]);
    expect(started).toEqual([]);
  });

  it('runs a range with a new token once, reports it complete, and does not run it again', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 10, 3), 5: drained };
    const { w, started } = worker(api);
    expect(await w.run(never)).toEqual({ completed: 3, failed: 0, finished: true });
    expect(started).toEqual([10, 11, 12]);
    expect(api.reports.map(said)).toEqual([{ token: 7, done: '10-12', failed: '', complete: true }]);
  });

  it('runs each new range, and counts what failed', async () => {
    const api = new FakeBlockApi();
    api.status = ready(7, 0, 2);
    api.onReport = (r) => {
      if (r.complete) api.status = r.token === 7 ? ready(9, 2, 2) : drained;
    };
    const { w, started } = worker(api, {
      execute: async (_item, offset) => (started.push(offset), offset !== 3),
    });
    expect(await w.run(never)).toEqual({ completed: 3, failed: 1, finished: true });
    expect(started).toEqual([0, 1, 2, 3]);
    expect(api.reports.map(said)).toEqual([
      { token: 7, done: '0-1', failed: '', complete: true },
      { token: 9, done: '2', failed: '3', complete: true },
    ]);
  });

  it("starts its Block's next range the moment it finishes one, its first report carrying the finished one's", async () => {
    const api = new FakeBlockApi();
    api.status = { ...ready(7, 0, 2), next: { index: 2, size: 2, token: 9 } };
    api.onReport = (r) => {
      // The controller folds the switch: 9 is the Block's range, nothing comes after it.
      if (r.token === 9 && !r.complete) api.status = ready(9, 2, 2);
      if (r.token === 9 && r.complete) api.status = drained;
    };
    const { w, started } = worker(api);
    expect(await w.run(never)).toEqual({ completed: 4, failed: 0, finished: true });
    expect(started).toEqual([0, 1, 2, 3]);
    const finished = { token: 7, done: '0-1', failed: '' };
    expect(api.reports.map(said)).toEqual([
      { token: 9, done: '', failed: '', finished },
      { token: 9, done: '2-3', failed: '', finished, complete: true },
    ]);
  });

  it('runs a range once, though the status still shows the range it switched from', async () => {
    const api = new FakeBlockApi();
    // A controller that has not folded the switch yet: the status stays as it was.
    api.status = { ...ready(7, 0, 2), next: { index: 2, size: 2, token: 9 } };
    api.script = { 8: drained };
    const { w, started } = worker(api);
    await w.run(never);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(api.reports.map(said).at(-1)).toMatchObject({ token: 9, complete: true, finished: { token: 7 } });
  });

  it('yields the unstarted tail of its range when asked, runs only what it kept, and starts no next range', async () => {
    const api = new FakeBlockApi();
    api.status = { ...ready(7, 0, 6), next: { index: 6, size: 6, token: 9 } };
    // The heartbeat's first read (the second read of all) shows the ask.
    api.script = { 2: { ...ready(7, 0, 6), next: { index: 6, size: 6, token: 9 }, yieldFrom: 3 } };
    api.onReport = (r) => {
      // The controller folds the answer (the range now ends at 3, no next), then the complete report.
      if (r.yieldFrom !== undefined && !r.complete) api.status = ready(7, 0, 3);
      if (r.complete) api.status = drained;
    };
    const gate = { open: () => {} };
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    const { w, started } = worker(api, {
      reportEveryMs: 5,
      execute: async (_item, offset) => {
        started.push(offset);
        // The first item runs until the worker has answered.
        if (offset === 0) await opened;
        return true;
      },
    });
    api.onReport = ((prev) => (r: BlockSpecReport) => {
      prev?.(r);
      if (r.yieldFrom !== undefined) gate.open();
    })(api.onReport);
    expect(await w.run(never)).toEqual({ completed: 3, failed: 0, finished: true });
    expect(started).toEqual([0, 1, 2]);
    expect(api.reports.map(said)).toEqual([
      { token: 7, done: '', failed: '', yieldFrom: 3 },
      { token: 7, done: '0-2', failed: '', yieldFrom: 3, complete: true },
    ]);
  });

  it('never starts the next range of a range it yielded, though a status written late still shows it', async () => {
    const api = new FakeBlockApi();
    const stale = { ...ready(7, 0, 4), next: { index: 4, size: 4, token: 9 } };
    api.status = stale;
    api.script = { 2: { ...stale, yieldFrom: 2 } };
    api.onReport = (r) => {
      // The answer and the complete report folded, a stale status write lands, then the end.
      if (r.complete) {
        api.status = stale;
        api.script = { [api.reads + 3]: drained };
      }
    };
    const { w, started } = worker(api, {
      reportEveryMs: 5,
      execute: async (_item, offset) => {
        started.push(offset);
        if (offset === 0) await new Promise((r) => setTimeout(r, 30));
        return true;
      },
    });
    await w.run(never);
    expect(started).toEqual([0, 1]);
    expect(api.reports.every((r) => r.token === 7)).toBe(true);
  });

  it('keeps the items it started when asked to yield from an earlier offset', async () => {
    const api = new FakeBlockApi();
    api.status = ready(7, 0, 6);
    let asked = false;
    const { w, started } = worker(api, {
      reportEveryMs: 5,
      execute: async (_item, offset) => {
        started.push(offset);
        // While item 3 runs, the controller asks for everything from 1 on.
        if (offset === 3 && !asked) {
          asked = true;
          api.status = { ...ready(7, 0, 6), yieldFrom: 1 };
          await new Promise((r) => setTimeout(r, 30));
        }
        return true;
      },
    });
    api.onReport = (r) => {
      if (r.complete) api.status = drained;
    };
    await w.run(never);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(api.reports.map(said).at(-1)).toEqual({
      token: 7,
      done: '0-3',
      failed: '',
      yieldFrom: 4,
      complete: true,
    });
  });

  it('asks for what its last range ran in 5 s, in the reports that end it and in those on the next', async () => {
    const api = new FakeBlockApi();
    api.status = { ...ready(7, 0, 2), next: { index: 2, size: 2, token: 9 } };
    api.onReport = (r) => {
      if (r.token === 9 && !r.complete) api.status = ready(9, 2, 2);
      if (r.token === 9 && r.complete) api.status = drained;
    };
    const { w } = worker(api, { execute: () => new Promise((r) => setTimeout(() => r(true), 20)) });
    await w.run(never);
    // Two items of 20 ms: about 250 in 5 s; fewer when late, at most 263 when a timer fires a
    // millisecond early (Node's timers may: 19 ms an item).
    const asked = api.reports.map((r) => r.rangeSize!);
    expect(asked).toHaveLength(2);
    for (const n of asked) expect(n).toBeGreaterThanOrEqual(1);
    for (const n of asked) expect(n).toBeLessThanOrEqual(Math.floor(5000 / 19));
  });

  it('with --per-block, runs the command once per block of its range and asks for a range size too', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 0, 25), 5: drained };
    const dir = mkdtempSync(join(tmpdir(), 'teamtask-per-block-'));
    const { w } = worker(api, {
      perBlock: true,
      execute: undefined,
      command: [
        'sh',
        '-c',
        `cat >/dev/null; echo "$TEAMTASK_BLOCK_INDEX+$TEAMTASK_BLOCK_SIZE" >> ${dir}/runs`,
      ],
    });
    await w.run(never);
    // The Worklist's blocks are 10 items: three batches, the last one what is left.
    expect(readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean)).toEqual([
      '0+10',
      '10+10',
      '20+5',
    ]);
    expect(api.reports).toEqual([expect.objectContaining({ token: 7, done: '0-24', complete: true })]);
    expect(api.reports[0]!.rangeSize).toBeGreaterThanOrEqual(1);
  });

  it('gives the items to the command as the Worklist source has them', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 5, 2), 2: drained };
    const items: string[] = [];
    const { w } = worker(api, { execute: async (item) => (items.push(item), true) });
    await w.run(never);
    expect(items).toEqual(['105', '106']);
  });

  it('gives back the rest of a range whose report would outgrow 100 ranges, asking for the next', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 0, 300), 2: drained };
    const { w, log } = worker(api, { execute: async (_item, offset) => offset % 2 === 0 });
    const result = await w.run(never);
    expect(result.completed + result.failed).toBe(100);
    expect(api.reports.map(said)).toEqual([expect.objectContaining({ token: 7, release: true, next: true })]);
    expect(log).toContain(
      'the report on 0-299 would outgrow 100 ranges (scattered failures): giving back the rest',
    );
  });

  it('abandons a range taken back while it runs: nothing more starts, and no final report', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 0, 50) };
    // The Lost Block is acknowledged; the controller then has nothing more.
    api.onReport = (r) => {
      if (r.done === undefined) api.status = drained;
    };
    const slow = async (_item: string, offset: number) => {
      if (offset === 2) api.status = lost(7, 2);
      await new Promise((r) => setTimeout(r, 10));
      return true;
    };
    const { w, log } = worker(api, { execute: slow, reportEveryMs: 5 });
    const result = await w.run(never);
    expect(result.finished).toBe(true);
    expect(result.completed).toBeLessThan(50);
    expect(api.reports.some((r) => r.complete || r.release)).toBe(false);
    expect(api.reports.at(-1)).toMatchObject({ token: 7 });
    expect(api.reports.at(-1)!.done).toBeUndefined();
    expect(log).toContain(
      "the range 0-49 is not this Block's any more (its lease ran out, or the Block was deleted): abandoning it",
    );
  });

  it('stops when aborted while it waits: deletes its Block, not finished', async () => {
    const api = new FakeBlockApi();
    const stop = new AbortController();
    api.script = { 3: () => (stop.abort(), pending) };
    const { w } = worker(api);
    expect(await w.run(stop.signal)).toEqual({ completed: 0, failed: 0, finished: false });
    expect(api.deleted).toBe(1);
    expect(api.reports).toEqual([]);
  });

  it('gives back a range untouched when stopped as it came', async () => {
    const api = new FakeBlockApi();
    const stop = new AbortController();
    api.script = { 1: () => (stop.abort(), ready(7, 0, 10)) };
    const { w, started } = worker(api);
    expect((await w.run(stop.signal)).finished).toBe(false);
    expect(started).toEqual([]);
    expect(api.reports.map(said)).toEqual([{ token: 7, done: '', failed: '', release: true }]);
    expect(api.deleted).toBe(1);
  });

  it('gives back the rest of a range when stopped in it, reporting what finished', async () => {
    const api = new FakeBlockApi();
    api.script = { 1: ready(7, 0, 10) };
    const stop = new AbortController();
    const { w, started } = worker(api, {
      execute: async (_item, offset) => {
        started.push(offset);
        if (offset === 1) stop.abort();
        return true;
      },
    });
    expect(await w.run(stop.signal)).toEqual({ completed: 2, failed: 0, finished: false });
    expect(started).toEqual([0, 1]);
    expect(api.reports.map(said)).toEqual([{ token: 7, done: '0-1', failed: '', release: true }]);
    expect(api.deleted).toBe(1);
  });

  it.each([
    { case: 'a deletionTimestamp on it', set: (api: FakeBlockApi) => (api.deleting = true) },
    { case: 'it gone (404)', set: (api: FakeBlockApi) => (api.gone = true) },
  ])('stops with an error saying why when its Block is deleted under it: $case', async ({ set }) => {
    const api = new FakeBlockApi();
    set(api);
    const { w } = worker(api);
    await expect(w.run(never)).rejects.toThrow('the Block was deleted');
    expect(api.deleted).toBe(1);
  });
});
