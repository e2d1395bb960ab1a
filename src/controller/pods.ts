import type { Block } from '../api/v1alpha1/index.js';
import { POD_LABEL } from '../api/names.js';

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
 * own watch event may trail its Block's. A Block without the pod label (a worker outside the
 * cluster) is judged by its lease alone.
 */
export function workerLiveness(
  blocks: readonly Block[],
  podPhases: ReadonlyMap<string, string | undefined>,
  now: number,
  graceMs = POD_GRACE_MS,
): WorkerLiveness {
  const dead = new Set<string>();
  let recheckAfterMs: number | undefined;
  for (const b of blocks) {
    const pod = b.metadata.labels?.[POD_LABEL];
    if (!pod) continue;
    const phase = podPhases.get(pod);
    if (podPhases.has(pod)) {
      if (phase === 'Failed' || phase === 'Succeeded') dead.add(b.metadata.name!);
      continue;
    }
    const age = now - new Date(String(b.metadata.creationTimestamp ?? 0)).getTime();
    if (age > graceMs) dead.add(b.metadata.name!);
    else recheckAfterMs = Math.min(recheckAfterMs ?? Infinity, graceMs - age + 1);
  }
  return { dead, recheckAfterMs };
}
