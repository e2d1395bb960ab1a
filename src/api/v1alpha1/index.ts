import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { BlockSpec, BlockStatus, ListSpec, ListStatus } from './types.generated.js';

export * from './types.generated.js';

export const GROUP = 'teamtask.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'teamtask.dev/v1alpha1';
export const LIST_PLURAL = 'lists';
export const BLOCK_PLURAL = 'blocks';

/** A List: the work, and its ledger (crds/teamtask.dev_lists.yaml). */
export interface List {
  apiVersion: typeof API_VERSION;
  kind: 'List';
  metadata: V1ObjectMeta;
  spec: ListSpec;
  status?: ListStatus;
}

/** A Block: one worker's claim slot on a List (crds/teamtask.dev_blocks.yaml). */
export interface Block {
  apiVersion: typeof API_VERSION;
  kind: 'Block';
  metadata: V1ObjectMeta;
  spec: BlockSpec;
  status?: BlockStatus;
}

/** Condition types on a List. */
export const ListConditions = {
  Ready: 'Ready',
  Complete: 'Complete',
  Failed: 'Failed',
  QuotaLimited: 'QuotaLimited',
} as const;
