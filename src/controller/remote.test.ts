import { describe, expect, it } from 'vitest';
import type { Worklist } from '../api/v1alpha1/index.js';
import { REMOTE_POLL_MS, RemoteParents, type RemoteParent } from './remote.js';

const secondary = (kubeconfigSecret = 'far'): Worklist => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Worklist',
  metadata: { namespace: 'near', name: 's' },
  spec: { source: { worklist: { name: 'p', namespace: 'main', kubeconfigSecret } }, blockSize: 10 },
});

const parentAt = (resourceVersion: string): RemoteParent => ({
  parent: { ...secondary(), metadata: { namespace: 'main', name: 'p', resourceVersion } },
});

/** A poller on a clock the test moves, whose reads the test answers one by one. */
function poller() {
  let t = 1_000_000;
  const reads: Array<{
    w: Worklist;
    answer: (r: RemoteParent) => Promise<void>;
    fail: (e: Error) => Promise<void>;
  }> = [];
  const changed: string[] = [];
  const flush = () => new Promise((r) => setTimeout(r, 0));
  const remote = new RemoteParents(
    () => t,
    (key) => changed.push(key),
    (w) =>
      new Promise<RemoteParent>((resolve, reject) => {
        reads.push({
          w,
          answer: async (r) => {
            resolve(r);
            await flush();
          },
          fail: async (e) => {
            reject(e);
            await flush();
          },
        });
      }),
  );
  return { remote, reads, changed, tick: (ms: number) => (t += ms) };
}

describe('a parent in another cluster, polled', () => {
  it('answers the first pass at once, with nothing read yet, and starts one read', () => {
    const { remote, reads } = poller();
    expect(remote.read(secondary())).toBeUndefined();
    expect(reads).toHaveLength(1);
  });

  it('never starts a second read while one is under way, however long it takes', () => {
    const { remote, reads, tick } = poller();
    remote.read(secondary());
    tick(10 * REMOTE_POLL_MS);
    remote.read(secondary());
    expect(reads).toHaveLength(1);
  });

  it('gives the last read to every pass, asks for a pass when a read brings news, and not when it brings none', async () => {
    const { remote, reads, changed, tick } = poller();
    remote.read(secondary());
    await reads[0]!.answer(parentAt('7'));
    expect(changed).toEqual(['near/s']);
    expect(remote.read(secondary())?.parent?.metadata.resourceVersion).toBe('7');
    tick(REMOTE_POLL_MS);
    remote.read(secondary());
    await reads[1]!.answer(parentAt('7'));
    expect(changed).toEqual(['near/s']);
  });

  it('reads again only once the last read is REMOTE_POLL_MS old, counted from when it began', async () => {
    const { remote, reads, tick } = poller();
    remote.read(secondary());
    tick(REMOTE_POLL_MS / 2);
    await reads[0]!.answer(parentAt('7'));
    tick(REMOTE_POLL_MS / 2 - 1);
    remote.read(secondary());
    expect(reads).toHaveLength(1);
    tick(1);
    remote.read(secondary());
    expect(reads).toHaveLength(2);
  });

  it('reads again at the next pass after this secondary wrote upward', async () => {
    const { remote, reads } = poller();
    remote.read(secondary());
    await reads[0]!.answer(parentAt('7'));
    remote.wrote(secondary());
    remote.read(secondary());
    expect(reads).toHaveLength(2);
  });

  it('keeps handing the last read out while the next one hangs, and the failure once it comes', async () => {
    const { remote, reads, changed, tick } = poller();
    remote.read(secondary());
    await reads[0]!.answer(parentAt('7'));
    tick(REMOTE_POLL_MS);
    remote.read(secondary());
    expect(remote.read(secondary())?.parent?.metadata.resourceVersion).toBe('7');
    await reads[1]!.fail(new Error('connect ETIMEDOUT'));
    expect(remote.read(secondary())?.problem).toMatchObject({ reason: 'ParentUnreachable' });
    expect(remote.read(secondary())?.problem?.message).toContain('connect ETIMEDOUT');
    expect(changed).toEqual(['near/s', 'near/s']);
  });

  it('starts anew for a secondary pointed at another cluster', async () => {
    const { remote, reads } = poller();
    remote.read(secondary('far'));
    await reads[0]!.answer(parentAt('7'));
    expect(remote.read(secondary('farther'))).toBeUndefined();
    expect(reads.map((r) => r.w.spec.source.worklist?.kubeconfigSecret)).toEqual(['far', 'farther']);
  });
});
