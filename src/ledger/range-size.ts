import type { Policy } from './ledger.js';

/** Ranges grow to at most this many blocks: what a crash or a steal moves stays bounded. */
export const MAX_RANGE_BLOCKS = 64;

/**
 * How many items to hand a Block whose worker asks for `asked` (what it runs in about five
 * seconds at its last range's pace): whole blocks, at least one; at most MAX_RANGE_BLOCKS, and
 * at most an even share of the `pool` among the `working` Blocks, so that ranges shrink back
 * toward one block as the pool empties (guided self-scheduling: what is left at the end is
 * about a range per worker, and a slow one's tail is stolen). A worker that asks for nothing
 * (the first range of a worker, a --per-block worker, one outside this runtime) gets one block, the
 * Worklist's unit.
 */
export function rangeSize(policy: Policy, asked: number | undefined, pool: number, working: number): number {
  const { blockSize } = policy;
  if (asked === undefined || asked <= blockSize) return blockSize;
  const share = Math.floor(pool / Math.max(1, working));
  const most = Math.min(asked, share, MAX_RANGE_BLOCKS * blockSize);
  return Math.max(1, Math.floor(most / blockSize)) * blockSize;
}
