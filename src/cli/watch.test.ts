import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import { HintedError } from '../kube/errors.js';
import { keepWatching, watchChanges, type Watcher } from './watch.js';

describe('keepWatching', () => {
  /** Runs rounds that answer `lasts` in turn, recording the rounds and the waits between them. */
  async function run(lasts: boolean[], o: { abortInRound?: number; abortInWait?: number } = {}) {
    const stop = new AbortController();
    const log: string[] = [];
    let round = 0;
    let wait = 0;
    await keepWatching(
      async () => {
        round++;
        log.push(`look ${round}`);
        if (round === o.abortInRound) stop.abort();
        return lasts[round - 1] ?? false;
      },
      {
        signal: stop.signal,
        intervalMs: 100,
        sleep: async (ms) => {
          wait++;
          log.push(`wait ${ms}`);
          if (wait === o.abortInWait) stop.abort();
        },
      },
    );
    return log;
  }

  it.each([
    { name: 'looks once when the first look is the last', lasts: [true], log: ['look 1'] },
    {
      name: 'waits the interval between two looks, and not after the last',
      lasts: [false, false, true],
      log: ['look 1', 'wait 100', 'look 2', 'wait 100', 'look 3'],
    },
    {
      name: 'looks no more, and does not wait, once the signal aborted during a look',
      lasts: [false, false, false],
      abortInRound: 2,
      log: ['look 1', 'wait 100', 'look 2'],
    },
    {
      name: 'looks no more once the signal aborted during a wait',
      lasts: [false, false, false],
      abortInWait: 1,
      log: ['look 1', 'wait 100'],
    },
  ])('$name', async ({ lasts, log, ...o }) => {
    expect(await run(lasts, o)).toEqual(log);
  });

  it('ends with the error a look throws', async () => {
    let rounds = 0;
    const failing = keepWatching(
      async () => {
        if (++rounds === 2) throw new Error('forbidden');
        return false;
      },
      { signal: new AbortController().signal, intervalMs: 0 },
    );
    await expect(failing).rejects.toThrow('forbidden');
    expect(rounds).toBe(2);
  });

  it('waits for real between looks, cut short by the signal', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 50);
    await keepWatching(async () => false, { signal: stop.signal, intervalMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

/** One watch request of the fake: what it asked for, and the test's hands on its stream. */
interface Request {
  query: Record<string, unknown>;
  event: (type: string, obj: KubernetesObject) => void;
  end: (err?: unknown) => void;
  aborted: boolean;
}

class FakeWatcher implements Watcher {
  readonly requests: Request[] = [];
  /** Holds back the answer to watch() (the request being made) until released. */
  hold?: Promise<void>;

  async watch(
    _path: string,
    query: Record<string, unknown>,
    onEvent: (type: string, obj: KubernetesObject) => void,
    done: (err: unknown) => void,
  ) {
    const request: Request = { query, event: onEvent, end: (err) => done(err ?? null), aborted: false };
    this.requests.push(request);
    await this.hold;
    return { abort: () => (request.aborted = true) };
  }

  /** The n-th request (from 1), once it is made. */
  async request(n: number): Promise<Request> {
    await vi.waitFor(() => expect(this.requests.length).toBeGreaterThanOrEqual(n));
    return this.requests[n - 1]!;
  }
}

const block = (name: string, resourceVersion: string): KubernetesObject => ({
  metadata: { name, resourceVersion },
});

function start(query: Record<string, string | undefined> = { resourceVersion: '10' }) {
  const watcher = new FakeWatcher();
  const stop = new AbortController();
  const changes: string[] = [];
  const done = watchChanges({
    watcher,
    path: '/apis/teamtask.dev/v1alpha1/namespaces/work/blocks',
    query,
    signal: stop.signal,
    onChange: (o) => changes.push(o.metadata!.name!),
  });
  return { watcher, stop, changes, done };
}

const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
  name: 'TimeoutError',
});
const aborted = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });

describe('watchChanges', () => {
  it('passes on each addition, change and deletion in order, and no bookmark', async () => {
    const { watcher, stop, changes, done } = start();
    const r = await watcher.request(1);
    r.event('ADDED', block('b1', '11'));
    r.event('BOOKMARK', block('', '12'));
    r.event('MODIFIED', block('b1', '13'));
    r.event('DELETED', block('b2', '14'));
    stop.abort();
    await done;
    expect(changes).toEqual(['b1', 'b1', 'b2']);
  });

  it('asks for bookmarks from the resourceVersion given, keeping the selectors and sending no undefined one', async () => {
    const { watcher, stop, done } = start({
      resourceVersion: '10',
      labelSelector: 'team=a',
      fieldSelector: undefined,
    });
    expect((await watcher.request(1)).query).toEqual({
      resourceVersion: '10',
      labelSelector: 'team=a',
      allowWatchBookmarks: true,
    });
    stop.abort();
    await done;
  });

  it.each([
    { name: 'the server closes the stream', end: undefined },
    { name: 'client-node gives up on a quiet connection (30 s without a byte)', end: timeout },
    { name: 'the connection is aborted under it', end: aborted },
  ])('starts again from the last resourceVersion seen when $name', async ({ end }) => {
    const { watcher, stop, changes, done } = start();
    const first = await watcher.request(1);
    first.event('MODIFIED', block('b1', '11'));
    first.event('BOOKMARK', block('', '15'));
    first.end(end);
    const second = await watcher.request(2);
    expect(second.query).toMatchObject({ resourceVersion: '15', allowWatchBookmarks: true });
    second.event('MODIFIED', block('b2', '16'));
    second.end();
    expect((await watcher.request(3)).query).toMatchObject({ resourceVersion: '16' });
    stop.abort();
    await done;
    expect(changes).toEqual(['b1', 'b2']);
  });

  it.each([
    {
      name: 'a 410 ERROR event (the resourceVersion is gone)',
      fail: (r: Request) =>
        r.event('ERROR', {
          kind: 'Status',
          code: 410,
          message: 'too old resource version: 10 (42)',
        } as never),
      error: new HintedError('the watch fell too far behind (410 Gone)', 'run the command again'),
    },
    {
      name: 'an HTTP 410 answer',
      fail: (r: Request) => r.end(Object.assign(new Error('Gone'), { statusCode: 410 })),
      error: new HintedError('the watch fell too far behind (410 Gone)', 'run the command again'),
    },
    {
      name: 'another ERROR event, with its message',
      fail: (r: Request) =>
        r.event('ERROR', { kind: 'Status', code: 500, message: 'etcd is unhappy' } as never),
      error: new Error('etcd is unhappy'),
    },
    {
      name: 'another failure, as it is',
      fail: (r: Request) => r.end(new Error('Forbidden')),
      error: new Error('Forbidden'),
    },
  ])('ends with an error, starting no other watch, on $name', async ({ fail, error }) => {
    const { watcher, done } = start();
    fail(await watcher.request(1));
    const thrown = await done.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(thrown).toEqual(error);
    expect(thrown).toBeInstanceOf(error.constructor);
    if (error instanceof HintedError) expect((thrown as HintedError).hint).toBe(error.hint);
    expect(watcher.requests).toHaveLength(1);
  });

  it('ends at once when the signal aborts, aborting the request and passing on nothing after', async () => {
    const { watcher, stop, changes, done } = start();
    const r = await watcher.request(1);
    stop.abort();
    await done;
    expect(r.aborted).toBe(true);
    r.event('ADDED', block('late', '20'));
    r.end(aborted);
    expect(changes).toEqual([]);
    expect(watcher.requests).toHaveLength(1);
  });

  it('aborts a request that was still being made when the signal aborted, once it is made', async () => {
    let release = () => {};
    const { watcher, stop, done } = start();
    watcher.hold = new Promise<void>((resolve) => (release = resolve));
    // The first request is answered at once: end it, so the second one is held.
    (await watcher.request(1)).end();
    const second = await watcher.request(2);
    stop.abort();
    await done;
    expect(second.aborted).toBe(false);
    release();
    await vi.waitFor(() => expect(second.aborted).toBe(true));
  });
});
