import type { V1ResourceAttributes, V1UserInfo } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  attributesFor,
  KUBE_AUTH_CACHE_MS,
  KubeAuth,
  kubeCallerName,
  type KubeReviews,
} from './kube-auth.js';

const alice: V1UserInfo = {
  username: 'system:serviceaccount:team:runner',
  groups: ['system:serviceaccounts'],
};
const target = { namespace: 'team', worklist: 'primes' };

/** Reviews that accept one token and allow what `allow` says, counting the API server's calls. */
function setup(allow: (a: V1ResourceAttributes) => boolean) {
  let t = 0;
  const calls = { review: 0, allowed: 0 };
  const reviews: KubeReviews = {
    review: async (token) => {
      calls.review++;
      return token === 'good' ? alice : undefined;
    },
    allowed: async (_user, a) => {
      calls.allowed++;
      return allow(a);
    },
  };
  return { auth: new KubeAuth(reviews, () => t), calls, at: (ms: number) => (t = ms) };
}

describe('attributesFor: what the cluster must allow a Kubernetes identity', () => {
  it.each([
    {
      needs: 'read',
      want: { namespace: 'team', verb: 'get', group: 'teamtask.dev', resource: 'worklists', name: 'primes' },
    },
    { needs: 'work', want: { namespace: 'team', verb: 'create', group: 'teamtask.dev', resource: 'blocks' } },
  ])('to $needs: $want.verb $want.resource', ({ needs, want }) => {
    expect(attributesFor(target, needs as 'read' | 'work')).toEqual(want);
  });
});

describe('KubeAuth', () => {
  it('asks the API server who a token is once, then reuses the answer until it is old', async () => {
    const s = setup(() => true);
    expect(await s.auth.user('good')).toEqual(alice);
    expect(await s.auth.user('good')).toEqual(alice);
    expect(s.calls.review).toBe(1);
    s.at(KUBE_AUTH_CACHE_MS);
    await s.auth.user('good');
    expect(s.calls.review).toBe(2);
  });

  it('remembers a refused token too, and runs beforeReview only when it asks', async () => {
    const s = setup(() => true);
    let asked = 0;
    expect(await s.auth.user('bad', () => asked++)).toBeUndefined();
    expect(await s.auth.user('bad', () => asked++)).toBeUndefined();
    expect([s.calls.review, asked]).toEqual([1, 1]);
  });

  it('does not ask when beforeReview refuses (the gateway is over its review rate)', async () => {
    const s = setup(() => true);
    await expect(
      s.auth.user('good', () => {
        throw new Error('429');
      }),
    ).rejects.toThrow('429');
    expect(s.calls.review).toBe(0);
  });

  it('asks what an identity may do per Worklist and role, and reuses the answer', async () => {
    const s = setup((a) => a.verb === 'get');
    expect(await s.auth.may(alice, target, 'read')).toBe(true);
    expect(await s.auth.may(alice, target, 'work')).toBe(false);
    expect(await s.auth.may(alice, target, 'work')).toBe(false);
    expect(await s.auth.may(alice, { ...target, worklist: 'other' }, 'read')).toBe(true);
    expect(s.calls.allowed).toBe(3);
  });

  it("names an identity's Blocks by a hash of its user name: a label value, the same for each of its tokens", () => {
    expect(kubeCallerName(alice.username!)).toMatch(/^k8s-[0-9a-f]{16}$/);
    expect(kubeCallerName(alice.username!)).toBe(kubeCallerName(alice.username!));
    expect(kubeCallerName('someone-else')).not.toBe(kubeCallerName(alice.username!));
  });
});
