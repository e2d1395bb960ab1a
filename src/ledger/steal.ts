import { liveItems, poolSize, asked, type Ledger } from './ledger.js';

/**
 * A range must have run this long (since it was handed out, promoted, or its lease last renewed)
 * before its worker is asked to yield: the handshake takes about a second (the worker reads its
 * Block once a second while a range runs, then a pass folds its answer), so a younger range is
 * likely to end before its tail could move.
 */
export const STEAL_AFTER_MS = 2000;

/** An ask to yield: the Block's worker should start nothing from `from` on, nor its next range. */
export interface StealAsk {
  readonly block: string;
  readonly from: number;
  /** Items it would free: its next range, or half of what it has not reported. */
  readonly items: number;
}

/**
 * Whom to ask to yield, and from where, when `idle` Blocks wait and nothing is left to hand out:
 * one ask per idle Block not already covered by an ask in flight, to the Blocks holding the most
 * unstarted work. A Block's next range is taken whole (never started); else the second half of
 * what its worker has not reported (it yields from the first item it has not started, if later).
 * A range is asked once: its worker's answer says where it ends, and its rest runs there.
 */
export function stealAsks(l: Ledger, idle: number, leaseMs: number, now: number): StealAsk[] {
  if (idle <= 0 || poolSize(l) > 0) return [];
  const assignments = [...l.assignments.values()];
  const wanted = idle - assignments.filter((a) => asked(l, a)).length;
  if (wanted <= 0) return [];
  const asks: StealAsk[] = [];
  for (const a of assignments) {
    if (a.yieldFrom !== undefined || now - (a.leaseExpires - leaseMs) < STEAL_AFTER_MS) continue;
    const queued = l.next.get(a.block);
    const end = a.index + a.size;
    if (queued) {
      asks.push({ block: a.block, from: end, items: queued.size });
      continue;
    }
    const half = Math.floor(liveItems(a).size / 2);
    if (half >= 1) asks.push({ block: a.block, from: end - half, items: half });
  }
  return asks.sort((x, y) => y.items - x.items || x.block.localeCompare(y.block)).slice(0, wanted);
}
