import type { V1ResourceAttributes, V1UserInfo } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  attributesFor,
  configMapAttributes,
  policyRefusal,
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
  const read = {
    namespace: 'team',
    verb: 'get',
    group: 'teamtask.dev',
    resource: 'worklists',
    name: 'primes',
  };
  it.each([
    { needs: 'read', want: [read] },
    {
      needs: 'work',
      // get worklists/NAME first: a worker Role's create blocks is namespace-wide, its get is by name.
      want: [read, { namespace: 'team', verb: 'create', group: 'teamtask.dev', resource: 'blocks' }],
    },
  ])('to $needs: $want.length checks', ({ needs, want }) => {
    expect(attributesFor(target, needs as 'read' | 'work')).toEqual(want);
  });
});

describe('policyRefusal: the admission policies, applied by the gateway that writes for the caller', () => {
  const sa = (name: string) => `system:serviceaccount:team:${name}`;
  it.each([
    {
      case: "a Worklist's workers, on it",
      user: sa('teamtask-worker-primes'),
      needs: 'work',
      refused: false,
    },
    {
      case: "a Worklist's workers, on another",
      user: sa('teamtask-worker-payroll'),
      needs: 'work',
      refused: 'a worker of Worklist payroll may only work on that Worklist, not on primes',
    },
    {
      case: "a Worklist's workers, reading another (RBAC decides)",
      user: sa('teamtask-worker-payroll'),
      needs: 'read',
      refused: false,
    },
    {
      case: "a secondary's identity",
      user: sa('teamtask-secondary-b.leaf'),
      needs: 'work',
      refused: /secondary Worklist's identity/,
    },
    {
      case: "a secondary's reader",
      user: sa('teamtask-reader-b.leaf'),
      needs: 'work',
      refused: /secondary Worklist's identity/,
    },
    { case: 'another ServiceAccount (RBAC decides)', user: sa('runner'), needs: 'work', refused: false },
    { case: 'a user (RBAC decides)', user: 'alice@example.com', needs: 'work', refused: false },
  ])('$case', ({ user, needs, refused }) => {
    const got = policyRefusal(user, target, needs as 'read' | 'work');
    if (refused === false) expect(got).toBeUndefined();
    else expect(got).toMatch(refused as string | RegExp);
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

  it('asks what an identity may do, stops at the first refusal, and reuses the answers', async () => {
    const s = setup((a) => a.verb === 'get');
    expect(await s.auth.refused(alice, attributesFor(target, 'read'))).toBeUndefined();
    expect(await s.auth.refused(alice, attributesFor(target, 'work'))).toMatchObject({ verb: 'create' });
    expect(await s.auth.refused(alice, attributesFor(target, 'work'))).toMatchObject({ verb: 'create' });
    expect(await s.auth.may(alice, configMapAttributes(target, 'primes-items'))).toBe(true);
    // get worklists/primes once, create blocks once, get configmaps once.
    expect(s.calls.allowed).toBe(3);
  });

  it("names an identity's Blocks by a hash of its user name and pod: a label value, one per pod", () => {
    const inPod = (pod: string): V1UserInfo => ({
      ...alice,
      extra: { 'authentication.kubernetes.io/pod-name': [pod] },
    });
    expect(kubeCallerName(alice)).toMatch(/^k8s-[0-9a-f]{16}$/);
    expect(kubeCallerName(alice)).toBe(kubeCallerName({ ...alice }));
    expect(kubeCallerName({ username: 'someone-else' })).not.toBe(kubeCallerName(alice));
    expect(kubeCallerName(inPod('w-0'))).not.toBe(kubeCallerName(inPod('w-1')));
    expect(kubeCallerName(inPod('w-0'))).not.toBe(kubeCallerName(alice));
  });
});
