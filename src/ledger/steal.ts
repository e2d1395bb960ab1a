import { asked, liveItems, type Assignment, type Ledger } from './ledger.js';

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

/** Blocks whose worker starts a range's items one by one: part of a running range can move. */
export type Splittable = (block: string) => boolean;

/** The steal plan of one pass: asks to make now, and when a range will be old enough to ask. */
export interface Steals {
  readonly asks: StealAsk[];
  /**
   * While idle Blocks still wait after these asks: ms until the youngest range worth asking is
   * old enough. Nothing else wakes the controller then (an idle worker only reads its Block).
   */
  readonly wakeInMs?: number;
}

/**
 * Whom to ask to yield, and from where, when `idle` Blocks wait and nothing is left to hand out
 * (`pool`, the items waiting, is 0): one ask per idle Block not already covered by an ask in
 * flight, to the Blocks holding the most unstarted work. A Block's next range is taken whole
 * (never started); else, from a splittable Block, the second half of what the ledger has not
 * seen reported (progress is folded lazily, so often the second half of the range), and its
 * worker yields from the first item it has not started, if that is later. A range is asked
 * once: its worker's answer says where it ends.
 */
export function planSteals(
  l: Ledger,
  { idle, pool }: { idle: number; pool: number },
  splittable: Splittable,
  leaseMs: number,
  now: number,
): Steals {
  if (idle <= 0 || pool > 0) return { asks: [] };
  const wanted = idle - [...l.assignments.values()].filter((a) => asked(l, a)).length;
  if (wanted <= 0) return { asks: [] };
  const ready: StealAsk[] = [];
  const young: number[] = [];
  for (const a of l.assignments.values()) {
    const ask = askOf(l, a, splittable);
    if (!ask) continue;
    const oldEnoughIn = since(a, leaseMs) + STEAL_AFTER_MS - now;
    if (oldEnoughIn <= 0) ready.push(ask);
    else young.push(oldEnoughIn);
  }
  const asks = ready.sort((x, y) => y.items - x.items || x.block.localeCompare(y.block)).slice(0, wanted);
  return asks.length < wanted && young.length ? { asks, wakeInMs: Math.min(...young) } : { asks };
}

/**
 * The ask that would free most of a range never asked: its next range, or half its rest. A next
 * range its worker already started is no longer whole to take (only its worker knows what of it
 * runs): its Block is asked, like any, for half the rest of the range before it.
 */
function askOf(l: Ledger, a: Assignment, splittable: Splittable): StealAsk | undefined {
  if (a.yieldFrom !== undefined) return undefined;
  const end = a.index + a.size;
  const queued = l.next.get(a.block);
  if (queued && !queued.started) return { block: a.block, from: end, items: queued.size };
  if (!splittable(a.block)) return undefined;
  const half = Math.floor(liveItems(a).size / 2);
  return half >= 1 ? { block: a.block, from: end - half, items: half } : undefined;
}

/** When the range was handed out, promoted, or its lease last renewed (a folded report). */
const since = (a: Assignment, leaseMs: number) => a.leaseExpires - leaseMs;
