import type { Block } from '../api/v1alpha1/index.js';
import { POD_LABEL } from '../api/names.js';

/**
 * Blocks whose worker pod is finished (Failed, or Succeeded while the Block lives on) or gone.
 * A pod missing from the cache counts only once the Block is older than `graceMs`: the pod's
 * own watch event may trail its Block's.
 */
export function deadWorkers(
  blocks: readonly Block[],
  podPhases: ReadonlyMap<string, string | undefined>,
  now: number,
  graceMs = 10_000,
): Set<string> {
  const dead = new Set<string>();
  for (const b of blocks) {
    const pod = b.metadata.labels?.[POD_LABEL];
    if (!pod) continue; // a worker outside the cluster: only its lease tells
    const known = podPhases.has(pod);
    const phase = podPhases.get(pod);
    const age = now - new Date(String(b.metadata.creationTimestamp ?? 0)).getTime();
    if ((known && (phase === 'Failed' || phase === 'Succeeded')) || (!known && age > graceMs))
      dead.add(b.metadata.name!);
  }
  return dead;
}
