import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { HintedError } from '../kube/errors.js';
import { undoOnFailure, type Undo } from './rollback.js';

const quota = new ApiException(
  403,
  'Forbidden',
  JSON.stringify({
    reason: 'Forbidden',
    message: 'jobs.batch "doomed-workers" is forbidden: exceeded quota: no-jobs',
  }),
  {},
);
const gone = Object.assign(new TypeError('fetch failed'), {
  cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
});

/** An undo that records that it ran, and fails with `fails` if given. */
function undo(fails?: unknown): Undo & { ran: number } {
  const u = {
    ran: 0,
    run: async () => {
      u.ran++;
      if (fails) throw fails;
    },
    what: 'worklist.teamtask.dev/doomed',
    command: 'kubectl teamtask delete doomed -n work',
    server: 'https://127.0.0.1:6443',
  };
  return u;
}

describe('a create that fails half-way', () => {
  it('undoes nothing when every object is made', async () => {
    const u = undo();
    expect(await undoOnFailure(async () => 'made', u)).toBe('made');
    expect(u.ran).toBe(0);
  });

  it('undoes what was made and throws the first failure itself', async () => {
    const u = undo();
    await expect(undoOnFailure(() => Promise.reject(quota), u)).rejects.toBe(quota);
    expect(u.ran).toBe(1);
  });

  it.each([
    {
      name: "keeps the refusal's words and adds what was left behind, why, and how to remove it",
      first: quota,
      cleanup: new ApiException(403, 'Forbidden', JSON.stringify({ message: 'cannot delete worklists' }), {}),
      message: 'forbidden: jobs.batch "doomed-workers" is forbidden: exceeded quota: no-jobs',
      hint:
        'ask a cluster admin for a Role that allows this; worklist.teamtask.dev/doomed was left behind ' +
        '(deleting it failed: forbidden: cannot delete worklists); delete it with: kubectl teamtask delete doomed -n work',
    },
    {
      name: "keeps a hinted failure's own hint first",
      first: new HintedError('no room for the Job', 'ask for a bigger quota'),
      cleanup: gone,
      message: 'no room for the Job',
      hint:
        'ask for a bigger quota; worklist.teamtask.dev/doomed was left behind (deleting it failed: cannot reach ' +
        'the cluster at https://127.0.0.1:6443 (ECONNREFUSED)); delete it with: kubectl teamtask delete doomed -n work',
    },
    {
      name: 'gives the leftover as the only hint when the refusal had none',
      first: new Error('the Job is invalid'),
      cleanup: new Error('timed out'),
      message: 'the Job is invalid',
      hint: 'worklist.teamtask.dev/doomed was left behind (deleting it failed: timed out); delete it with: kubectl teamtask delete doomed -n work',
    },
  ])('when undoing fails too, $name', async ({ first, cleanup, message, hint }) => {
    const u = undo(cleanup);
    const thrown = await undoOnFailure(() => Promise.reject(first), u).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(u.ran).toBe(1);
    expect(thrown).toBeInstanceOf(HintedError);
    expect({ message: (thrown as HintedError).message, hint: (thrown as HintedError).hint }).toEqual({
      message,
      hint,
    });
    expect((thrown as Error).cause).toBe(first);
  });
});
