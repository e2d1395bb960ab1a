import { describe, expect, it } from 'vitest';
import { WorkQueue, type Timer } from './queue.js';

class FakeTimer implements Timer {
  private t = 0;
  now(): number {
    return this.t;
  }
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    this.pending.set(++this.next, { at: this.t + ms, fn });
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const [h, t] of [...this.pending].sort(([, a], [, b]) => a.at - b.at)) {
      if (t.at <= this.t) {
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
    const timer = new FakeTimer();
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50, timer });
    expect([1, 2, 3, 4].map(() => q.addRateLimited('a'))).toEqual([10, 20, 40, 50]);
    timer.advance(9);
    expect(q.length).toBe(0);
    timer.advance(1); // the earliest pending retry wins
    expect(q.length).toBe(1);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('hands a key to one worker at a time even with several waiting', async () => {
    const q = new WorkQueue();
    const first = q.get();
    const second = q.get();
    q.add('a');
    expect(await first).toBe('a');
    q.add('a');
    q.add('b');
    expect(await second).toBe('b');
    q.done('a');
    expect(await q.get()).toBe('a');
  });

  it('adds a key after a delay, keeping the earliest of several', () => {
    const timer = new FakeTimer();
    const q = new WorkQueue({ timer });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    timer.advance(49);
    expect(q.length).toBe(0);
    timer.advance(1);
    expect(q.length).toBe(1);
    timer.advance(1000);
    expect(q.length).toBe(1);
  });

  it('releases waiting workers with undefined on shutdown and accepts nothing after', async () => {
    const timer = new FakeTimer();
    const q = new WorkQueue({ timer });
    q.addAfter('later', 100);
    const next = q.get();
    q.shutDown();
    timer.advance(200);
    expect(await next).toBeUndefined();
    q.add('a');
    expect(q.length).toBe(0);
  });
});
