import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { RangeSet } from '../ledger/range-set.js';
import {
  executorFor,
  PerBlockExecutor,
  PerItemExecutor,
  type Assignment,
  type PerBlockOptions,
  type PerItemOptions,
} from './executors.js';
import type { Progress } from './heartbeat.js';

/** A heartbeat stand-in: the range stays ours for `oursFor` more items, then is lost. */
class FakeProgress implements Progress {
  done = RangeSet.EMPTY;
  failed = RangeSet.EMPTY;
  lastFailure?: string;
  end = Infinity;
  cursor = 0;
  asked = 0;
  private readonly lostController = new AbortController();
  readonly lost = this.lostController.signal;

  /** Called as an item asks: what happens while the Block is read. */
  onAsk?: () => void;

  constructor(private readonly oursFor = Infinity) {}

  async stillOurs(): Promise<boolean> {
    if (++this.asked > this.oursFor) this.lose();
    this.onAsk?.();
    const answer = !this.lost.aborted;
    await Promise.resolve();
    return answer;
  }

  lose(): void {
    this.lostController.abort();
  }
}

const range = (index: number, size: number): Assignment => ({ index, size, token: 1, attempt: 2 });
const item = (offset: number) => `i${offset}`;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-process item function that records what ran and how many ran at once. */
function recorder(fails: (offset: number) => boolean = () => false, ms = 1) {
  const r = {
    started: [] as number[],
    items: [] as string[],
    active: 0,
    maxActive: 0,
    execute: async (value: string, offset: number) => {
      r.started.push(offset);
      r.items.push(value);
      r.maxActive = Math.max(r.maxActive, ++r.active);
      await delay(ms);
      r.active--;
      return !fails(offset);
    },
  };
  return r;
}

const perItem = (o: Partial<PerItemOptions> = {}) =>
  new PerItemExecutor({ command: [], item, log: () => {}, jobs: 1, ...o });

describe('the per-item executor', () => {
  it('runs each item of the range once, and records done and failed', async () => {
    const r = recorder((offset) => offset === 12);
    const p = new FakeProgress();
    const result = await perItem({ execute: r.execute }).execute(
      range(10, 5),
      p,
      new AbortController().signal,
    );
    expect(r.items).toEqual(['i10', 'i11', 'i12', 'i13', 'i14']);
    expect([p.done.toString(), p.failed.toString()]).toEqual(['10-11,13-14', '12']);
    expect(result.cutShort).toBe(false);
  });

  it('starts nothing from where its worker yielded the rest, and says how far it got', async () => {
    const r = recorder(() => false, 1);
    const p = new FakeProgress();
    p.onAsk = () => {
      // The worker yields while item 12 is about to start: from the first one not started.
      if (r.started.length === 2) p.end = p.cursor + 1;
    };
    await perItem({ execute: r.execute }).execute(range(10, 5), p, new AbortController().signal);
    expect(r.started).toEqual([10, 11, 12]);
    expect(p.cursor).toBe(13);
    expect(p.done.toString()).toBe('10-12');
  });

  it.each([
    { case: 'runs one item at a time by default', jobs: 1, atOnce: 1 },
    { case: 'runs --jobs items at a time', jobs: 4, atOnce: 4 },
    { case: 'runs at least one at a time', jobs: 0, atOnce: 1 },
    { case: 'runs no more at once than the range holds', jobs: 50, atOnce: 12 },
  ])('$case', async ({ jobs, atOnce }) => {
    const r = recorder(() => false, 10);
    const p = new FakeProgress();
    await perItem({ jobs, execute: r.execute }).execute(range(0, 12), p, new AbortController().signal);
    expect(r.maxActive).toBe(atOnce);
    expect(p.done.toString()).toBe('0-11');
  });

  it.each([
    { case: 'one at a time', jobs: 1 },
    { case: 'eight at a time (each slot taken before waiting)', jobs: 8 },
  ])(
    'stops short of a report of 100 ranges (scattered failures) and leaves the rest untouched, $case',
    async ({ jobs }) => {
      // Every other item fails: each outcome is a range of its own.
      const r = recorder((offset) => offset % 2 === 1, 2);
      const p = new FakeProgress();
      const result = await perItem({ jobs, execute: r.execute }).execute(
        range(0, 300),
        p,
        new AbortController().signal,
      );
      const ranges = p.done.ranges.length + p.failed.ranges.length;
      expect(result.cutShort).toBe(true);
      expect(ranges).toBeLessThanOrEqual(100);
      expect(ranges).toBeGreaterThan(100 - jobs);
      // Only a prefix ran, each item once: the rest goes back whole.
      expect(r.started.sort((a, b) => a - b)).toEqual(Array.from({ length: ranges }, (_, i) => i));
    },
  );

  it('does not cut short a range whose outcomes join up into few ranges', async () => {
    const r = recorder(() => false, 0);
    const p = new FakeProgress();
    const result = await perItem({ jobs: 4, execute: r.execute }).execute(
      range(0, 300),
      p,
      new AbortController().signal,
    );
    expect(result.cutShort).toBe(false);
    expect(p.done.toString()).toBe('0-299');
  });

  it.each([
    { case: 'starts no item once the range is not ours', jobs: 1, oursFor: 3 },
    { case: 'starts no item once the range is not ours, with --jobs', jobs: 4, oursFor: 3 },
    { case: 'starts nothing on a range not ours from the start', jobs: 2, oursFor: 0 },
  ])('$case', async ({ jobs, oursFor }) => {
    const r = recorder(() => false, 5);
    const p = new FakeProgress(oursFor);
    const result = await perItem({ jobs, execute: r.execute }).execute(
      range(0, 20),
      p,
      new AbortController().signal,
    );
    expect(r.started).toHaveLength(oursFor);
    expect(p.lost.aborted).toBe(true);
    expect(result.cutShort).toBe(false);
  });

  it('starts nothing new after SIGTERM, and lets what runs finish', async () => {
    const stop = new AbortController();
    const r = recorder();
    const execute = async (value: string, offset: number) => {
      if (offset === 1) stop.abort();
      return r.execute(value, offset);
    };
    const p = new FakeProgress();
    const result = await perItem({ execute }).execute(range(0, 10), p, stop.signal);
    expect(r.started).toEqual([0, 1]);
    expect(p.done.toString()).toBe('0-1');
    expect(result.cutShort).toBe(false);
  });

  it('does not start the item it asked about when SIGTERM came meanwhile', async () => {
    const stop = new AbortController();
    const r = recorder();
    const p = new FakeProgress();
    p.onAsk = () => p.asked === 3 && stop.abort();
    await perItem({ execute: r.execute }).execute(range(0, 10), p, stop.signal);
    expect(r.started).toEqual([0, 1]);
  });

  it('starts nothing when stopped before it began', async () => {
    const stop = new AbortController();
    stop.abort();
    const r = recorder();
    await perItem({ jobs: 3, execute: r.execute }).execute(range(0, 10), new FakeProgress(), stop.signal);
    expect(r.started).toEqual([]);
  });

  it('runs the command with {} as the item and {#} as its offset', async () => {
    const p = new FakeProgress();
    const command = ['sh', '-c', 'test "$0 $1" = "i2 2"', '{}', '{#}'];
    await perItem({ command }).execute(range(1, 2), p, new AbortController().signal);
    expect([p.done.toString(), p.failed.toString()]).toEqual(['2', '1']);
    expect(p.lastFailure).toBe('exit code 1');
  });

  it.each([
    {
      case: 'prefixes each output line with the item and a tab with --tag',
      tag: true,
      written: ['i0\tline-a\n', 'i0\tline-b\n'],
    },
    { case: 'passes output through untouched without --tag', tag: false, written: [] },
  ])('$case', async ({ tag, written }) => {
    const write = vi.spyOn(process.stdout, 'write');
    try {
      await perItem({ command: ['sh', '-c', 'echo line-a; echo line-b'], tag }).execute(
        range(0, 1),
        new FakeProgress(),
        new AbortController().signal,
      );
      // The last line is written once the pipe has been read to its end.
      await delay(50);
      const lines = write.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('line-'));
      expect(lines).toEqual(written);
    } finally {
      write.mockRestore();
    }
  });

  it('stops a running command at once when the range is lost, holding nothing against the item', async () => {
    const p = new FakeProgress();
    const started = Date.now();
    setTimeout(() => p.lose(), 200);
    await perItem({ command: ['sh', '-c', 'sleep 30'], gracePeriodMs: 60_000 }).execute(
      range(0, 3),
      p,
      new AbortController().signal,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect([p.done.toString(), p.failed.toString()]).toEqual(['', '']);
  });

  it.each([
    {
      case: 'lets a running command finish within the grace period',
      script: 'sleep 0.4',
      grace: 20_000,
      done: '0',
      failed: '',
    },
    {
      case: 'does not hold a failure while stopping against the item',
      script: 'sleep 0.4; exit 3',
      grace: 20_000,
      done: '',
      failed: '',
    },
    {
      case: 'stops a running command once the grace period is over',
      script: 'sleep 30',
      grace: 300,
      done: '',
      failed: '',
    },
  ])('after SIGTERM: $case', async ({ script, grace, done, failed }) => {
    const stop = new AbortController();
    const p = new FakeProgress();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    await perItem({ command: ['sh', '-c', script], gracePeriodMs: grace }).execute(
      range(0, 3),
      p,
      stop.signal,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect([p.done.toString(), p.failed.toString()]).toEqual([done, failed]);
  });
});

const perBlock = (script: string, o: Partial<PerBlockOptions> = {}) =>
  new PerBlockExecutor({ command: ['sh', '-c', script], item, log: () => {}, worklist: 'primes', ...o });

describe('the per-block executor', () => {
  it.each([
    { case: 'exit 0 completes the range', script: 'cat >/dev/null; exit 0', done: '10-13', failed: '' },
    {
      case: 'non-zero fails the whole range when nothing was reported done',
      script: 'exit 1',
      done: '',
      failed: '10-13',
    },
    {
      case: '"teamtask:done N" marks the first N done; non-zero fails the rest',
      script: 'echo teamtask:done 2; exit 1',
      done: '10-11',
      failed: '12-13',
    },
    {
      case: 'a later progress line replaces an earlier one',
      script: 'echo teamtask:done 1; echo teamtask:done 3; exit 1',
      done: '10-12',
      failed: '13',
    },
    {
      case: 'a progress line past the range marks the whole range',
      script: 'echo teamtask:done 9; exit 1',
      done: '10-13',
      failed: '',
    },
    {
      case: '"teamtask:done 0" marks nothing',
      script: 'echo teamtask:done 0; exit 1',
      done: '',
      failed: '10-13',
    },
    {
      case: 'the command gets the items on stdin and the range in its environment',
      script:
        'read a; read b; read c; read d; test "$a $d" = "i10 i13" -a "$TEAMTASK_LIST" = primes -a "$TEAMTASK_BLOCK_INDEX" = 10 -a "$TEAMTASK_BLOCK_SIZE" = 4 -a "$TEAMTASK_ATTEMPT" = 2',
      done: '10-13',
      failed: '',
    },
  ])('$case', async ({ script, done, failed }) => {
    const p = new FakeProgress();
    const result = await perBlock(script).execute(range(10, 4), p, new AbortController().signal);
    expect([p.done.toString(), p.failed.toString()]).toEqual([done, failed]);
    expect(result.cutShort).toBe(false);
  });

  it('runs only the part of the range its worker kept, all of it started at once', async () => {
    const p = new FakeProgress();
    p.end = 12;
    await perBlock('read a; read b; test -z "$(cat)" -a "$TEAMTASK_BLOCK_SIZE" = 2').execute(
      range(10, 4),
      p,
      new AbortController().signal,
    );
    expect([p.done.toString(), p.failed.toString(), p.cursor]).toEqual(['10-11', '', 12]);
  });

  describe('on a range of several blocks', () => {
    const blocks = (script: string) => perBlock(script, { blockSize: 2 });
    /** Each command's block as it saw it (index+size), in order. */
    const runs = (dir: string) => readFileSync(join(dir, 'runs'), 'utf8').split('\n').filter(Boolean);
    const log = (dir: string) =>
      `echo "$TEAMTASK_BLOCK_INDEX+$TEAMTASK_BLOCK_SIZE" >> ${dir}/runs; cat >/dev/null`;

    it('runs the command once per block, in order, the last one what is left', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'teamtask-blocks-'));
      const p = new FakeProgress();
      await blocks(log(dir)).execute(range(10, 5), p, new AbortController().signal);
      expect(runs(dir)).toEqual(['10+2', '12+2', '14+1']);
      expect([p.done.toString(), p.failed.toString(), p.cursor]).toEqual(['10-14', '', 15]);
    });

    it('fails only the block whose command failed, its progress lines counting within it, and goes on', async () => {
      const p = new FakeProgress();
      const script =
        'cat >/dev/null; test "$TEAMTASK_BLOCK_INDEX" != 12 || { echo teamtask:done 1; exit 1; }';
      await blocks(script).execute(range(10, 6), p, new AbortController().signal);
      expect([p.done.toString(), p.failed.toString()]).toEqual(['10-12,14-15', '13']);
    });

    it('starts no block from where its worker yielded the rest', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'teamtask-blocks-'));
      const p = new FakeProgress();
      p.end = 13;
      await blocks(log(dir)).execute(range(10, 6), p, new AbortController().signal);
      expect(runs(dir)).toEqual(['10+2', '12+1']);
      expect([p.done.toString(), p.cursor]).toEqual(['10-12', 13]);
    });

    it('gives back the rest before its report would outgrow 100 ranges', async () => {
      const p = new FakeProgress();
      p.failed = RangeSet.of(...Array.from({ length: 98 }, (_, i) => ({ start: 2 * i, end: 2 * i })));
      const result = await blocks('cat >/dev/null').execute(range(1000, 6), p, new AbortController().signal);
      // 98 ranges, and a block may add two: one block fits, the next could not.
      expect(result.cutShort).toBe(true);
      expect(p.done.toString()).toBe('1000-1001');
    });
  });

  it('tells why the command failed', async () => {
    const p = new FakeProgress();
    await perBlock('exit 4').execute(range(0, 2), p, new AbortController().signal);
    expect(p.lastFailure).toBe('exit code 4');
  });

  it('stops the command at once when the range is lost, keeping what it reported done', async () => {
    const p = new FakeProgress();
    const started = Date.now();
    const running = perBlock('echo teamtask:done 1; sleep 30', { gracePeriodMs: 60_000 }).execute(
      range(10, 4),
      p,
      new AbortController().signal,
    );
    await vi.waitFor(() => expect(p.done.toString()).toBe('10'));
    p.lose();
    await running;
    expect(Date.now() - started).toBeLessThan(5000);
    expect([p.done.toString(), p.failed.toString()]).toEqual(['10', '']);
  });

  it('after SIGTERM and the grace period, stops the command and fails nothing', async () => {
    const stop = new AbortController();
    const p = new FakeProgress();
    setTimeout(() => stop.abort(), 100);
    await perBlock('sleep 30', { gracePeriodMs: 200 }).execute(range(0, 4), p, stop.signal);
    expect([p.done.toString(), p.failed.toString()]).toEqual(['', '']);
  });
});

describe('choosing the executor', () => {
  it.each([
    { case: 'per item by default', perBlock: undefined, kind: PerItemExecutor },
    { case: 'per block with --per-block', perBlock: true, kind: PerBlockExecutor },
  ])('$case', ({ perBlock, kind }) => {
    expect(
      executorFor({ command: [], item, log: () => {}, jobs: 1, worklist: 'w', perBlock }),
    ).toBeInstanceOf(kind);
  });
});
