import type { V1ObjectMeta } from '@kubernetes/client-node';
import type {
  BlockSpec,
  BlockSpecReport,
  BlockStatus,
  WorklistSpec,
  WorklistStatus,
} from './types.generated.js';

export * from './types.generated.js';

export const GROUP = 'teamtask.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'teamtask.dev/v1alpha1';
export const WORKLIST_PLURAL = 'worklists' as const;
export const BLOCK_PLURAL = 'blocks' as const;

/** Keeps a Block until the controller has folded its last report into the ledger. */
export const BLOCK_FINALIZER = 'teamtask.dev/ledger';

/**
 * The token of a report on no range (ranges are numbered from 1): it fences nothing. A new Block
 * may carry one asking for its first range's size (the CRD's rule allows that much and no more),
 * and a Lost Block's holder writes one as a sign of life.
 */
export const NO_RANGE_TOKEN = 0;

/** A report a Block was made with, asking for its first range's size (a secondary Worklist's). */
export const asksRangeSize = (r: BlockSpecReport | undefined): boolean =>
  r?.token === NO_RANGE_TOKEN && r.rangeSize !== undefined;

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
