import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { BlockSpec, BlockStatus, WorklistSpec, WorklistStatus } from './types.generated.js';

export * from './types.generated.js';

export const GROUP = 'teamtask.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'teamtask.dev/v1alpha1';
export const WORKLIST_PLURAL = 'worklists' as const;
export const BLOCK_PLURAL = 'blocks' as const;

/** Keeps a Block until the controller has folded its last report into the ledger. */
export const BLOCK_FINALIZER = 'teamtask.dev/ledger';

/** A Worklist: the work, and its ledger (crds/teamtask.dev_worklists.yaml). */
export interface Worklist {
  apiVersion: typeof API_VERSION;
  kind: 'Worklist';
  metadata: V1ObjectMeta;
  spec: WorklistSpec;
  status?: WorklistStatus;
}

/** A Block: one worker's claim slot on a Worklist (crds/teamtask.dev_blocks.yaml). */
export interface Block {
  apiVersion: typeof API_VERSION;
  kind: 'Block';
  metadata: V1ObjectMeta;
  spec: BlockSpec;
  status?: BlockStatus;
}

/** Condition types on a Worklist. */
export const WorklistConditions = {
  Ready: 'Ready',
  Complete: 'Complete',
  Failed: 'Failed',
  QuotaLimited: 'QuotaLimited',
} as const;
