import { ApiException, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LeaderElector, mayHold, type LeaseApi } from './leader.js';

describe('mayHold', () => {
  /** A lease renewed at 1 s for 15 s by `holder`. */
  const heldBy = (holder: string) => ({ holder, renewTime: 1000, durationMs: 15_000 });
  it.each([
    { name: 'a lease nobody holds', lease: undefined, now: 0, want: true },
    { name: 'a released lease', lease: heldBy(''), now: 2000, want: true },
    { name: 'its own lease', lease: heldBy('me'), now: 2000, want: true },
    { name: "another's live lease", lease: heldBy('other'), now: 15_999, want: false },
    { name: "another's expired lease", lease: heldBy('other'), now: 16_000, want: true },
  ])('$name: $want', ({ lease, now, want }) => {
    expect(mayHold(lease, 'me', now)).toBe(want);
  });
});

describe('LeaderElector', () => {
  /** A Lease API in memory whose replace calls wait at a gate the test opens. */
  function fakeApi() {
    let lease: V1Lease | undefined;
    let gate: Promise<void> = Promise.resolve();
    const api: LeaseApi = {
      readNamespacedLease: async () => {
        if (!lease) throw new ApiException(404, 'not found', undefined, {});
        return structuredClone(lease);
      },
      createNamespacedLease: async ({ body }) => (lease = body),
      replaceNamespacedLease: async ({ body }) => {
        await gate;
        return (lease = body);
      },
    };
    return {
      api,
      takeOver: (holder: string, at: number) =>
        (lease = {
          spec: { holderIdentity: holder, renewTime: new V1MicroTime(at), leaseDurationSeconds: 15 },
        }),
      hold: () => {
        let open!: () => void;
        gate = new Promise((r) => (open = r));
        return () => open();
      },
    };
  }
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 5));
  };
  /** An elector renewing every 10 ms on the clock `now()`, over `fake`'s Lease, already leading. */
  async function leading(fake: ReturnType<typeof fakeApi>, now: () => number, log?: (l: string) => void) {
    const elector = new LeaderElector(new KubeConfig(), {
      namespace: 'ns',
      name: 'lease',
      identity: 'me',
      renewEveryMs: 10,
      now,
      log,
      api: fake.api,
    });
    const stop = new AbortController();
    const lost = { count: 0 };
    await elector.acquire(stop.signal, () => lost.count++);
    return { elector, stop, lost };
  }

  it('once it lost the Lease, never leads again, even when a renewal sent before is answered after', async () => {
    let now = 1_000_000;
    const fake = fakeApi();
    const logs: string[] = [];
    const { elector, stop, lost } = await leading(
      fake,
      () => now,
      (l) => logs.push(l),
    );
    expect(elector.isLeader()).toBe(true);
    // A renewal goes out and hangs (a starved process, a slow server)...
    const answer = fake.hold();
    await new Promise((r) => setTimeout(r, 30));
    // ...meanwhile another replica takes the expired Lease, and a later tick sees it.
    now += 16_000;
    fake.takeOver('other', now);
    await until(() => lost.count > 0);
    expect(elector.isLeader()).toBe(false);
    answer(); // the old renewal succeeds now, late
    await new Promise((r) => setTimeout(r, 50));
    expect(elector.isLeader()).toBe(false);
    expect(lost.count).toBe(1);
    expect(logs.filter((l) => l.startsWith('became the leader'))).toHaveLength(1);
    stop.abort();
  });

  it('gives up past its renew deadline when renewals hang and never answer', async () => {
    let now = 1_000_000;
    const fake = fakeApi();
    const { elector, stop, lost } = await leading(fake, () => now);
    fake.hold(); // never opened
    await new Promise((r) => setTimeout(r, 30));
    expect(lost.count).toBe(0);
    now += 10_001; // two thirds of the 15 s lease since the last renewal
    await until(() => lost.count > 0);
    expect(elector.isLeader()).toBe(false);
    stop.abort();
  });
});
