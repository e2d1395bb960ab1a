import { describe, expect, it } from 'vitest';
import { BLOCK_FINALIZER, type Block } from '../api/v1alpha1/index.js';
import { orphanPlan, statusPatch } from './block-status.js';

const block = (name: string, deleting = false): Block => ({
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Block',
  metadata: {
    name,
    namespace: 'ns',
    finalizers: [BLOCK_FINALIZER],
    ...(deleting ? { deletionTimestamp: new Date() as never } : {}),
  },
  spec: { worklist: 'gone' },
});

describe('orphanPlan (the Blocks of a Worklist that is not there)', () => {
  it('lets a Block being deleted go: there is no ledger left to fold its report into', () => {
    expect(orphanPlan([block('a', true)])).toEqual({ blockStatuses: new Map(), finalize: ['a'] });
  });

  it('tells a Block that is not being deleted why it waits, and keeps it', () => {
    const plan = orphanPlan([block('a')]);
    expect(plan.finalize).toEqual([]);
    expect(plan.blockStatuses.get('a')).toMatchObject({
      phase: 'Pending',
      message:
        'Worklist gone does not exist in namespace ns: check spec.worklist (kubectl get worklists -n ns)',
    });
  });
});

describe('statusPatch', () => {
  it('replaces the whole status: what the new one lacks is removed, not kept from the last range', () => {
    const patch = statusPatch({ phase: 'Ready', index: 3, size: 3, token: 9, restarts: 0 });
    expect(patch).toMatchObject({ phase: 'Ready', index: 3, token: 9, next: null, message: null });
    // Applied as a JSON merge patch to a status that had a next range and a message:
    const before = { phase: 'Pending', message: 'waiting', next: { index: 3, size: 3, token: 9 } };
    const after = Object.fromEntries(Object.entries({ ...before, ...patch }).filter(([, v]) => v !== null));
    expect(after).toEqual({ phase: 'Ready', index: 3, size: 3, token: 9, restarts: 0 });
  });
});
