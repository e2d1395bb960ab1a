import { describe, expect, it } from 'vitest';
import { WorkQueue, type Timer } from './queue.js';

class FakeTimer implements Timer {
  now = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    this.pending.set(++this.next, { at: this.now + ms, fn });
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [h, t] of [...this.pending].sort(([, a], [, b]) => a.at - b.at)) {
      if (t.at <= this.now) {
        this.pending.delete(h);
        t.fn();
      }
    }
  }
}

describe('WorkQueue', () => {
  it('keeps a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key being processed; one added meanwhile comes back after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const next = q.get();
    q.add('a');
    expect(await next).toBe('a');
  });

  it('backs off a failing key exponentially, up to the cap, and forgets after success', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50, timer: new FakeTimer() });
    expect([1, 2, 3, 4].map(() => q.addRateLimited('a'))).toEqual([10, 20, 40, 50]);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('adds a key after a delay, keeping the earliest of several', () => {
    const timer = new FakeTimer();
    const q = new WorkQueue({ timer });
    q.addAfter('a', 100, timer.now);
    q.addAfter('a', 50, timer.now);
    q.addAfter('a', 500, timer.now);
    timer.advance(49);
    expect(q.length).toBe(0);
    timer.advance(1);
    expect(q.length).toBe(1);
    timer.advance(1000);
    expect(q.length).toBe(1);
  });

  it('releases waiting workers with undefined on shutdown and accepts nothing after', async () => {
    const q = new WorkQueue();
    const next = q.get();
    q.shutDown();
    expect(await next).toBeUndefined();
    q.add('a');
    expect(q.length).toBe(0);
  });
});
