import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeConfigError } from './config.js';
import { explain } from './errors.js';

const status = (code: number, message: string) =>
  new ApiException(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', message }), {});

const refused = Object.assign(new TypeError('fetch failed'), {
  cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
});

describe('explain', () => {
  it.each([
    {
      name: 'a forbidden request names the refusal and asks for a Role',
      err: status(403, 'worklists.teamtask.dev is forbidden: User "x" cannot list'),
      want: {
        message: 'forbidden: worklists.teamtask.dev is forbidden: User "x" cannot list',
        hint: 'ask a cluster admin for a Role that allows this',
      },
    },
    {
      name: 'a missing object points at the name and the namespace',
      err: status(404, 'worklists.teamtask.dev "p" not found'),
      want: {
        message: 'not found: worklists.teamtask.dev "p" not found',
        hint: 'check the name and the namespace (-n)',
      },
    },
    {
      name: 'refused credentials point at the kubeconfig user',
      err: status(401, 'Unauthorized'),
      want: {
        message: 'unauthorized: Unauthorized',
        hint: 'your credentials were refused; check the kubeconfig user',
      },
    },
    {
      name: 'any other API error passes the server message through',
      err: status(422, 'Worklist.teamtask.dev "p" is invalid: spec.blockSize: must be at least 1'),
      want: { message: 'Worklist.teamtask.dev "p" is invalid: spec.blockSize: must be at least 1' },
    },
    {
      name: 'an API error without a Status body still says the HTTP code',
      err: new ApiException(502, 'Unknown API Status Code!', 'bad gateway', {}),
      want: { message: 'the API server answered HTTP 502' },
    },
    {
      name: 'a refused connection (wrapped by fetch) names the server and how to start one',
      err: refused,
      server: 'https://127.0.0.1:1',
      want: {
        message: 'cannot reach the cluster at https://127.0.0.1:1 (ECONNREFUSED)',
        hint: 'check --kubeconfig and --context; for a local control plane run: npm run cluster:up',
      },
    },
    {
      name: 'any other fetch failure gives its cause as the reason',
      err: new TypeError('fetch failed', { cause: new Error('bad port') }),
      server: 'https://127.0.0.1:1',
      want: {
        message: 'cannot reach the cluster at https://127.0.0.1:1 (bad port)',
        hint: 'check --kubeconfig and --context; for a local control plane run: npm run cluster:up',
      },
    },
    {
      name: 'a kubeconfig problem keeps its own hint',
      err: new KubeConfigError(
        'context "x" not found in the kubeconfig',
        'list contexts with: kubectl config get-contexts',
      ),
      want: {
        message: 'context "x" not found in the kubeconfig',
        hint: 'list contexts with: kubectl config get-contexts',
      },
    },
    {
      name: 'anything else is its message',
      err: new Error('boom'),
      want: { message: 'boom' },
    },
  ])('$name', ({ err, server, want }) => {
    expect(explain(err, server)).toEqual(want);
  });
});
