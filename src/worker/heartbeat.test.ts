import { ApiException } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Block, BlockSpecReport, BlockStatus } from '../api/v1alpha1/index.js';
import { RangeSet } from '../ledger/range-set.js';
import { BlockGone } from './block-client.js';
import { Heartbeat } from './heartbeat.js';

const TOKEN = 7;
/** The range the heartbeat is about: offsets 100-109. */
const RANGE = { index: 100, size: 10, token: TOKEN };
const LEASE_MS = 60_000;

const apiError = (code: number) => new ApiException(code, 'x', '{}', {});

const ours: Block['status'] = { phase: 'Ready', token: TOKEN };

function block(status: Block['status'] | undefined, deleting = false): Block {
  return {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: { name: 'b', ...(deleting ? { deletionTimestamp: new Date() as never } : {}) },
    spec: { worklist: 'primes' },
    status,
  };
}

/** A Block API that records reports; `hold` keeps reports in flight until released. */
class FakeBlock {
  reports: BlockSpecReport[] = [];
  reads = 0;
  inFlight = 0;
  maxInFlight = 0;
  block: Block = block(ours);
  reportError?: unknown;
  readError?: unknown;
  hold = false;
  private waiting: (() => void)[] = [];

  writeReport = async (r: BlockSpecReport) => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.reportError) throw this.reportError;
      this.reports.push(r);
    } finally {
      this.inFlight--;
    }
  };

  get = async () => {
    this.reads++;
    // A read takes a moment: a loop that asks without waiting still lets timers run.
    await new Promise((r) => setImmediate(r));
    if (this.readError) throw this.readError;
    return this.block;
  };

  release(): void {
    this.hold = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** A heartbeat on a fake clock; progress reported on every change unless `progressEveryMs` says otherwise. */
function setup(leaseMs = LEASE_MS, progressEveryMs = 0) {
  const api = new FakeBlock();
  const clock = { t: 1_000_000 };
  const sleeps: number[] = [];
  const log: string[] = [];
  const hb = new Heartbeat(api, RANGE, {
    leaseMs,
    progressEveryMs,
    now: () => clock.t,
    // Time passes at once, but other tasks get their turn.
    sleep: (ms) => {
      sleeps.push(ms);
      clock.t += ms;
      return new Promise((r) => setImmediate(r));
    },
    log: (l) => log.push(l),
  });
  return { api, clock, hb, sleeps, log };
}

const never = new AbortController().signal;

afterEach(() => {
  vi.useRealTimers();
});

describe('the heartbeat of a range', () => {
  it('reports once per change of progress, and not while nothing changed', async () => {
    const { api, hb, clock } = setup();
    await hb.tick();
    expect(api.reports).toEqual([]);
    hb.done = RangeSet.span(0, 0);
    await hb.tick();
    clock.t += 1000;
    await hb.tick();
    hb.failed = RangeSet.span(1, 1);
    await hb.tick();
    await hb.tick();
    expect(api.reports.map((r) => [r.done, r.failed])).toEqual([
      ['0', ''],
      ['0', '1'],
    ]);
    expect(api.reports.every((r) => r.token === TOKEN && !r.complete && !r.release)).toBe(true);
  });

  it.each([
    { case: 'writes no progress report sooner than 5 s after the last one', after: 4999, reports: 0 },
    { case: 'writes progress once 5 s have gone by since the last report', after: 5000, reports: 1 },
  ])('$case', async ({ after, reports }) => {
    const { api, hb, clock } = setup(LEASE_MS, 5000);
    hb.done = RangeSet.span(0, 0);
    clock.t += after;
    await hb.tick();
    expect(api.reports).toHaveLength(reports);
  });

  it('still reads its Block on every tick while progress waits to be reported (a range taken back stops it)', async () => {
    const { api, hb } = setup(LEASE_MS, 5000);
    hb.done = RangeSet.span(0, 0);
    api.block = block({ phase: 'Ready', token: TOKEN + 1 });
    await hb.tick();
    expect(api.reports).toEqual([]);
    expect(hb.lost.aborted).toBe(true);
  });

  describe('an ask to yield (tail stealing)', () => {
    const asking = (yieldFrom: number, token = TOKEN): BlockStatus => ({ phase: 'Ready', token, yieldFrom });

    it('promises to start nothing from the asked offset on, and says so at once', async () => {
      const { api, hb } = setup(LEASE_MS, 5000);
      hb.cursor = 103;
      api.block = block(asking(105));
      await hb.tick();
      expect(hb.end).toBe(105);
      expect(api.reports).toEqual([expect.objectContaining({ token: TOKEN, yieldFrom: 105 })]);
    });

    it('keeps what it already started: it yields from the first item it has not begun', async () => {
      const { api, hb } = setup(LEASE_MS, 5000);
      hb.cursor = 108;
      api.block = block(asking(105));
      await hb.tick();
      expect(hb.end).toBe(108);
      expect(api.reports[0]!.yieldFrom).toBe(108);
    });

    it('carries its answer in every later report, the final one included, and answers once', async () => {
      const { api, hb, clock } = setup(LEASE_MS, 0);
      api.block = block(asking(105));
      await hb.tick();
      api.block = block(asking(102));
      hb.done = RangeSet.span(100, 101);
      clock.t += 1000;
      await hb.tick();
      await hb.report({ complete: true });
      expect(api.reports.map((r) => r.yieldFrom)).toEqual([105, 105, 105]);
      expect(hb.end).toBe(105);
    });

    it('writes its answer again on the next tick when the write failed', async () => {
      const { api, hb } = setup(LEASE_MS, 5000);
      api.block = block(asking(105));
      api.reportError = apiError(500);
      await hb.tick();
      expect(api.reports).toEqual([]);
      api.reportError = undefined;
      await hb.tick();
      expect(api.reports).toEqual([expect.objectContaining({ yieldFrom: 105 })]);
    });

    it('ignores an ask about another range (the one it switched from)', async () => {
      const { api, hb } = setup(LEASE_MS, 5000);
      api.block = block({ ...asking(15, 3), next: { index: 100, size: 10, token: TOKEN } });
      await hb.tick();
      expect(hb.end).toBe(110);
      expect(api.reports).toEqual([]);
    });

    it('answers an ask in the status that showed it the range before any item started', () => {
      const api = new FakeBlock();
      const hb = new Heartbeat(api, RANGE, { leaseMs: LEASE_MS, seen: { status: asking(104), at: 0 } });
      expect(hb.end).toBe(104);
      expect(hb.yieldFrom).toBe(104);
    });
  });

  it('keeps a range its Block shows as the next one: the controller has not folded the switch yet', async () => {
    const { api, hb } = setup(LEASE_MS, 5000);
    api.block = block({ phase: 'Ready', token: 3, next: { index: 10, size: 10, token: TOKEN } });
    await hb.tick();
    expect(hb.lost.aborted).toBe(false);
    expect(hb.seen?.token).toBe(3);
  });

  it('reports a switch at once, and carries the finished range in every report on the new one', async () => {
    const api = new FakeBlock();
    const finished = { token: 3, done: '0-9', failed: '' };
    const hb = new Heartbeat(api, RANGE, { leaseMs: LEASE_MS, everyMs: 60_000, finished });
    hb.start();
    await hb.stop();
    hb.done = RangeSet.span(10, 19);
    await hb.report({ complete: true });
    expect(api.reports.map((r) => [r.token, r.done, r.finished, r.complete])).toEqual([
      [TOKEN, '', finished, undefined],
      [TOKEN, '10-19', finished, true],
    ]);
  });

  it('dates its word on the range from the read that showed it: an old read is checked before an item starts', async () => {
    const api = new FakeBlock();
    const now = 1_000_000;
    const hb = new Heartbeat(api, RANGE, {
      leaseMs: LEASE_MS,
      seen: {
        status: { phase: 'Ready', token: 3, next: { index: 0, size: 1, token: TOKEN } },
        at: now - 10_000,
      },
      now: () => now,
    });
    expect(hb.seenAt).toBe(now - 10_000);
    // The Block no longer gives it the range (a worker that hung past its lease, say).
    api.block = block({ phase: 'Lost', token: 3 });
    expect(await hb.stillOurs(never)).toBe(false);
    expect(api.reads).toBe(1);
  });

  it('reports progress at least every third of a short lease, even when that is under 5 s', async () => {
    const { api, hb, clock } = setup(9000, 5000);
    hb.done = RangeSet.span(0, 0);
    clock.t += 3000;
    await hb.tick();
    expect(api.reports).toHaveLength(1);
  });

  it.each([
    { case: 'does not renew before a third of the lease', after: LEASE_MS / 3 - 1, reports: 0 },
    { case: 'renews the lease at a third of it without progress', after: LEASE_MS / 3, reports: 1 },
  ])('$case', async ({ after, reports }) => {
    const { api, hb, clock } = setup();
    clock.t += after;
    await hb.tick();
    expect(api.reports).toHaveLength(reports);
  });

  it('keeps one report in flight: a tick meanwhile joins it, and the next carries the newer progress', async () => {
    const { api, hb } = setup();
    api.hold = true;
    hb.done = RangeSet.span(0, 0);
    const first = hb.tick();
    hb.done = RangeSet.span(0, 1);
    const second = hb.tick();
    expect(second).toBe(first);
    await Promise.resolve();
    expect(api.inFlight).toBe(1);
    api.release();
    await first;
    await hb.tick();
    expect(api.maxInFlight).toBe(1);
    expect(api.reports.map((r) => r.done)).toEqual(['0', '0-1']);
  });

  it('reports from its interval once started, and stop() waits for the report in flight', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const api = new FakeBlock();
    const hb = new Heartbeat(api, RANGE, { leaseMs: LEASE_MS, everyMs: 1000, progressEveryMs: 0 });
    hb.start();
    hb.done = RangeSet.span(0, 4);
    api.hold = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(api.inFlight).toBe(1);
    let stopped = false;
    const stopping = hb.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(stopped).toBe(false);
    api.release();
    await stopping;
    expect(api.reports.map((r) => r.done)).toEqual(['0-4']);
    hb.done = RangeSet.span(0, 5);
    await vi.advanceTimersByTimeAsync(5000);
    expect(api.reports).toHaveLength(1);
  });

  it.each([
    { case: 'another token', set: (a: FakeBlock) => (a.block = block({ phase: 'Ready', token: 8 })) },
    { case: 'phase Lost', set: (a: FakeBlock) => (a.block = block({ phase: 'Lost', token: TOKEN })) },
    { case: 'phase Released', set: (a: FakeBlock) => (a.block = block({ phase: 'Released', token: TOKEN })) },
    { case: 'a deletionTimestamp', set: (a: FakeBlock) => (a.block = block(ours, true)) },
    { case: 'no status', set: (a: FakeBlock) => (a.block = block(undefined)) },
    {
      case: 'the Block gone (read 404)',
      set: (a: FakeBlock) => (a.readError = new BlockGone('b', 'w', 'ns')),
    },
    { case: 'the Block gone (report 404)', set: (a: FakeBlock) => (a.reportError = apiError(404)) },
  ])('takes $case to mean the range is lost, and says no to more items', async ({ set }) => {
    const { api, hb, clock } = setup();
    hb.done = RangeSet.span(0, 0);
    set(api);
    expect(hb.lost.aborted).toBe(false);
    await hb.tick();
    expect(hb.lost.aborted).toBe(true);
    clock.t += LEASE_MS;
    expect(await hb.stillOurs(never)).toBe(false);
  });

  it('still reads the Block while its reports fail, so a range taken back stops it', async () => {
    const { api, hb, log } = setup();
    hb.done = RangeSet.span(0, 0);
    api.reportError = apiError(500);
    await hb.tick();
    expect(api.reads).toBe(1);
    expect(hb.lost.aborted).toBe(false);
    expect(log).toEqual([expect.stringMatching(/^progress report failed: /)]);
    api.block = block({ phase: 'Ready', token: 8 });
    await hb.tick();
    expect(hb.lost.aborted).toBe(true);
  });

  it('reports again after a failed report, though nothing changed since', async () => {
    const { api, hb } = setup();
    hb.done = RangeSet.span(0, 0);
    api.reportError = apiError(500);
    await hb.tick();
    api.reportError = undefined;
    await hb.tick();
    expect(api.reports.map((r) => r.done)).toEqual(['0']);
  });

  it('does not take a Block it cannot read for a lost range', async () => {
    const { api, hb, log } = setup();
    api.readError = apiError(500);
    await hb.tick();
    expect(hb.lost.aborted).toBe(false);
    expect(log).toHaveLength(1);
  });

  it.each([
    { case: 'trusts a fresh word without asking', age: 4999, lease: LEASE_MS, reads: 0 },
    { case: 'asks the Block when its word is older than 5 s', age: 5001, lease: LEASE_MS, reads: 1 },
    { case: 'asks sooner under a short lease (a quarter of it)', age: 2001, lease: 8000, reads: 1 },
    { case: 'trusts a word younger than a quarter of a short lease', age: 1999, lease: 8000, reads: 0 },
  ])('$case before an item starts', async ({ age, lease, reads }) => {
    const { api, hb, clock } = setup(lease);
    clock.t += age;
    expect(await hb.stillOurs(never)).toBe(true);
    expect(api.reads).toBe(reads);
  });

  it('keeps asking, without spinning, until the Block answers', async () => {
    const { api, hb, clock, sleeps } = setup();
    clock.t += 6000;
    api.readError = apiError(503);
    const answer = hb.stillOurs(never);
    await vi.waitFor(() => expect(api.reads).toBeGreaterThanOrEqual(3));
    api.readError = undefined;
    expect(await answer).toBe(true);
    expect(sleeps.length).toBeGreaterThanOrEqual(3);
    expect(sleeps.every((ms) => ms === 200)).toBe(true);
  });

  it('gives up asking once the worker stops', async () => {
    const { api, hb, clock } = setup();
    clock.t += 6000;
    api.readError = apiError(503);
    const stop = new AbortController();
    const answer = hb.stillOurs(stop.signal);
    await vi.waitFor(() => expect(api.reads).toBeGreaterThanOrEqual(1));
    stop.abort();
    expect(await answer).toBe(true);
  });

  it.each([
    { case: 'carries the last failure while something failed', failed: '3', message: 'exit code 3' },
    { case: 'carries no failure reason when nothing failed', failed: '', message: undefined },
  ])('$case', async ({ failed, message }) => {
    const { api, hb } = setup();
    hb.failed = failed ? RangeSet.parse(failed) : RangeSet.EMPTY;
    hb.lastFailure = 'exit code 3';
    await hb.report({ complete: true });
    expect(api.reports[0]).toMatchObject({ token: TOKEN, failed, complete: true });
    expect(api.reports[0]!.message).toBe(message);
  });

  it('cuts a long failure reason to what the Block accepts (512 characters)', async () => {
    const { api, hb } = setup();
    hb.failed = RangeSet.span(0, 0);
    hb.lastFailure = 'x'.repeat(2000);
    await hb.report();
    expect(api.reports[0]!.message).toHaveLength(512);
  });
});
