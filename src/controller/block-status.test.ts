import { describe, expect, it } from 'vitest';
import { BLOCK_FINALIZER, type Block } from '../api/v1alpha1/index.js';
import { orphanPlan } from './block-status.js';

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
