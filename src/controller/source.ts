import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Block, Worklist, WorklistSpecSourceConfigMap } from '../api/v1alpha1/index.js';
import { itemsKey } from '../api/defaults.js';
import { itemLines, maxBlocksPerWorklist } from '../api/source.js';

/**
 * How long a ConfigMap read stays good, and how often a running Worklist with a ConfigMap source
 * is looked at again: a deleted item source shows within this (no watch on every ConfigMap of
 * the cluster for the few that hold items).
 */
export const CONFIGMAP_TTL_MS = 30_000;

/** A ConfigMap source as last read: why its items cannot be read, if so; the cluster's block limit. */
export interface SourceState {
  readonly problem?: { readonly reason: string; readonly message: string };
  /** `maxBlocksPerWorklist` of the limits ConfigMap, which admission cannot apply to ConfigMap sources. */
  readonly maxBlocks?: number;
}

/**
 * What a ConfigMap source holds: its item count (undefined when unreadable) and its state, from
 * the ConfigMap as read (undefined: not found) and the limits ConfigMap's data.
 */
export function sourceState(
  source: WorklistSpecSourceConfigMap,
  cm: V1ConfigMap | undefined,
  limits: Readonly<Record<string, string>> | undefined,
): { count?: number; source: SourceState } {
  const key = itemsKey(source);
  const text = cm?.data?.[key];
  return {
    count: text === undefined ? undefined : itemLines(text).length,
    source: {
      problem: !cm
        ? {
            reason: 'ConfigMapMissing',
            message: `ConfigMap ${source.name} is not found: workers cannot read the items; create it again with the same lines under key ${key}`,
          }
        : text === undefined
          ? {
              reason: 'ConfigMapKeyMissing',
              message: `ConfigMap ${source.name} has no key ${key}: workers cannot read the items; add it, one item per line`,
            }
          : undefined,
      maxBlocks: maxBlocksPerWorklist(limits),
    },
  };
}

/** Parents followed at most, looking for a cycle: deeper trees are refused too. */
export const MAX_TREE_DEPTH = 16;

/**
 * A secondary's parent (spec.source.worklist) as the cache holds it, or why it has none to work
 * on: not found, or a cycle (a Worklist that is its own ancestor, which admission cannot see).
 */
export function parentState(
  w: Worklist,
  lookup: (namespace: string, name: string) => Worklist | undefined,
): { parent?: Worklist; problem?: { reason: string; message: string } } {
  const ref = w.spec.source.worklist!;
  const self = `${w.metadata.namespace}/${w.metadata.name}`;
  const ns = ref.namespace ?? w.metadata.namespace!;
  const parent = lookup(ns, ref.name);
  if (!parent) {
    return {
      problem: {
        reason: 'ParentNotFound',
        message: `parent Worklist ${ns}/${ref.name} is not found: nothing to work on; create it, or point spec.source.worklist at another one`,
      },
    };
  }
  const chain = [self];
  for (let cur: Worklist | undefined = parent; cur;) {
    const key = `${cur.metadata.namespace}/${cur.metadata.name}`;
    if (key === self || chain.length > MAX_TREE_DEPTH) {
      return {
        parent,
        problem: {
          reason: 'SourceCycle',
          message: `spec.source.worklist leads back to this Worklist (${[...chain, key].join(' → ')}), or deeper than ${MAX_TREE_DEPTH} Worklists: nothing to work on; create it again with a parent that has items of its own`,
        },
      };
    }
    chain.push(key);
    const up: Worklist['spec']['source']['worklist'] = cur.spec.source.worklist;
    cur = up ? lookup(up.namespace ?? cur.metadata.namespace!, up.name) : undefined;
  }
  return { parent };
}

/**
 * A secondary's Block in its parent's namespace as the secondary may take its word: not one
 * being deleted (the parent folds it and takes its ranges back; its status says so no more), not
 * one owned by an earlier parent of the same name (its ranges are that parent's, gone). Such a
 * Block is no Block: the secondary hands out nothing of what it showed.
 */
export function usableUpstreamBlock(b: Block | undefined, parent: Worklist): Block | undefined {
  if (!b || b.metadata.deletionTimestamp) return undefined;
  const owner = b.metadata.ownerReferences?.find((r) => r.kind === 'Worklist');
  return owner && owner.uid !== parent.metadata.uid ? undefined : b;
}
