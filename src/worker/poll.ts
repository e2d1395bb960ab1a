/**
 * How long a worker waits before reading its Block again while it has no range: short right
 * after it asked for one (the controller usually answers within tens of milliseconds), doubling
 * up to `maxMs` while nothing comes. A wait of `maxMs` after every block cost a worker of
 * one-second blocks a fifth of its time; the few extra reads are GETs of its own Block.
 */
export function pollDelay(idlePolls: number, maxMs: number, firstMs = 20): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(idlePolls, 16));
}
