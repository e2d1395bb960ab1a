import type { Block } from '../api/v1alpha1/index.js';
import { createdAt } from '../api/meta.js';
import { POD_LABEL, SECONDARY_ANNOTATION } from '../api/names.js';

/** How long a Block's pod may be missing from the cache before its worker counts as dead. */
export const POD_GRACE_MS = 10_000;

/** Which Blocks' workers are dead, and when the answer may change without any event. */
export interface WorkerLiveness {
  /** Blocks whose worker pod is finished (Failed, or Succeeded while the Block lives on) or gone. */
  readonly dead: ReadonlySet<string>;
  /** When the earliest Block still in its grace period passes it (ms from now), if any. */
  readonly recheckAfterMs?: number;
}

/**
 * A pod missing from the cache counts only once its Block is older than `graceMs`: the pod's
 * own watch event may trail its Block's. So does a secondary Worklist missing from the cache
 * (`worklistExists`, asked of `namespace/name`), for the Block it works on its parent through. A Block
 * with neither (a worker outside the cluster, a secondary in another one) is judged by its lease
 * alone.
 */
export function workerLiveness(
  blocks: readonly Block[],
  podPhases: ReadonlyMap<string, string | undefined>,
  now: number,
  worklistExists: (key: string) => boolean = () => false,
  graceMs = POD_GRACE_MS,
): WorkerLiveness {
  const dead = new Set<string>();
  let recheckAfterMs: number | undefined;
  for (const b of blocks) {
    const pod = b.metadata.labels?.[POD_LABEL];
    const secondary = b.metadata.annotations?.[SECONDARY_ANNOTATION];
    if (!pod && !secondary) continue;
    if (pod && podPhases.has(pod)) {
      const phase = podPhases.get(pod);
      if (phase === 'Failed' || phase === 'Succeeded') dead.add(b.metadata.name!);
      continue;
    }
    if (!pod && worklistExists(secondary!)) continue;
    // One without a creation time (never from an API server) counts as old.
    const age = now - (createdAt(b) || 0);
    if (age > graceMs) dead.add(b.metadata.name!);
    else recheckAfterMs = Math.min(recheckAfterMs ?? Infinity, graceMs - age + 1);
  }
  return { dead, recheckAfterMs };
}
