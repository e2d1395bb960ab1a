/**
 * The item functions every system in the benchmark runs, as a cost in milliseconds per item
 * offset. The cost is simulated (a sleep, or a kwok pod's run time), so the benchmark measures
 * what distributing the items costs, not what the 2 cores can compute. Deterministic by offset:
 * Teamtask, the Indexed Jobs and xargs face the very same costs.
 */
export interface ItemFunction {
  name: 'zero' | '1ms' | '100ms' | 'heavy';
  description: string;
  /** Items per block: a block takes about a second of work at the mean cost (1000 for zero). */
  blockSize: number;
  /** The mean cost, for sizing runs. */
  meanMs: number;
  costMs(offset: number): number;
}

/** A uniform number in [0, 1) from an offset: splitmix32, so no state and no Math.random. */
export function unitHash(offset: number): number {
  let z = (offset + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return (z >>> 0) / 2 ** 32;
}

/** Pareto with shape 1.5 and mean 10 ms, capped at 2 s: a few items take a hundred times the median. */
const PARETO_SHAPE = 1.5;
const PARETO_SCALE_MS = (10 * (PARETO_SHAPE - 1)) / PARETO_SHAPE;
const heavyCost = (offset: number) =>
  Math.min(2000, Math.round((PARETO_SCALE_MS / (1 - unitHash(offset)) ** (1 / PARETO_SHAPE)) * 10) / 10);

export const ITEM_FUNCTIONS: readonly ItemFunction[] = [
  { name: 'zero', description: 'zero-cost', blockSize: 1000, meanMs: 0, costMs: () => 0 },
  { name: '1ms', description: '1 ms per item', blockSize: 1000, meanMs: 1, costMs: () => 1 },
  { name: '100ms', description: '100 ms per item', blockSize: 10, meanMs: 100, costMs: () => 100 },
  {
    name: 'heavy',
    description: 'heavy-tailed (Pareto 1.5, mean 10 ms, median 5.3 ms, capped at 2 s)',
    blockSize: 100,
    meanMs: 10,
    costMs: heavyCost,
  },
];

export const itemFunction = (name: ItemFunction['name']): ItemFunction =>
  ITEM_FUNCTIONS.find((f) => f.name === name)!;

/** The summed cost of offsets [from, to), in milliseconds. */
export function costOf(fn: ItemFunction, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += fn.costMs(i);
  return sum;
}
