import type { WorklistSpec, WorklistSpecSource } from './v1alpha1/index.js';
import { DEFAULT_ITEMS_KEY } from './names.js';

/**
 * A Worklist spec's defaults, as the API server applies them (the CRD's `default:`s; defaults.test.ts
 * checks that they agree). Read through here, never as `?? 3` at the place of use: an object
 * from before a default was added, or a test's literal, may lack the field.
 */
export const WORKLIST_DEFAULTS = {
  maxAttempts: 3,
  leaseSeconds: 60,
  suspend: false,
} as const;

export interface EffectiveSpec {
  maxAttempts: number;
  leaseSeconds: number;
  suspend: boolean;
}

/** The spec's settings with every default filled in. */
export function effectiveSpec(
  spec: Pick<WorklistSpec, 'maxAttempts' | 'leaseSeconds' | 'suspend'>,
): EffectiveSpec {
  return {
    maxAttempts: spec.maxAttempts ?? WORKLIST_DEFAULTS.maxAttempts,
    leaseSeconds: spec.leaseSeconds ?? WORKLIST_DEFAULTS.leaseSeconds,
    suspend: spec.suspend ?? WORKLIST_DEFAULTS.suspend,
  };
}

/** The ConfigMap key a ConfigMap source reads. */
export const itemsKey = (source: WorklistSpecSource['configMap']): string => source?.key ?? DEFAULT_ITEMS_KEY;
