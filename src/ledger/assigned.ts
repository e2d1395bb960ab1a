import type { Assignment } from './ledger.js';
import { RangeSet } from './range-set.js';

/**
 * How the ledger writes the ranges out in a Worklist's status: one line per Block, like the Job
 * controller's completedIndexes, so that a Worklist stays small with hundreds of workers (about
 * 65 bytes a Block, where an object per range took 270).
 *
 *   -x7k2p 1200+64#17@3 12s 0-9 >1264+64#18@5
 *
 * Block `<worklist>-x7k2p` works on items 1200 to 1263 (token 17, handed out at the Block's
 * generation 3), its lease ends 12 s after `leasesFrom`, its worker reported the range's first
 * ten items, and it starts items 1264 to 1327 next (token 18, generation 5; a next range handed
 * out at the same generation as the range before it says none). A range on its second attempt
 * ends in `^2`; a range asked to yield from its 40th item carries `y40`; a next range its worker
 * started before finishing the current one (a secondary Worklist) is written `>!1264+64#18`.
 */

/** A malformed line of status.assigned (the controller alone writes them). */
export class AssignedSyntaxError extends Error {
  constructor(line: string, problem: string) {
    super(`status.assigned "${line}": ${problem}`);
    this.name = 'AssignedSyntaxError';
  }
}

/** One Block's ranges out: the one it works on, and the one it starts next. */
export interface Held {
  readonly assignment: Assignment;
  readonly next?: Assignment;
}

/** The line of one Block; leases are written in seconds after `leasesFrom` (epoch ms). */
export function formatHeld({ assignment: a, next }: Held, worklist: string, leasesFrom: number): string {
  const parts = [shortName(a.block, worklist), formatRange(a), `${(a.leaseExpires - leasesFrom) / 1000}s`];
  if (!a.reported.isEmpty) parts.push(shift(a.reported, -a.index).toString());
  if (a.yieldFrom !== undefined) parts.push(`y${a.yieldFrom - a.index}`);
  // A next range handed out at the generation of the one before it (the usual case) omits it.
  if (next) parts.push(`>${next.started ? '!' : ''}${formatRange(next, a.generation)}`);
  return parts.join(' ');
}

/** Reads a line `formatHeld` wrote; throws AssignedSyntaxError saying what is wrong. */
export function parseHeld(line: string, worklist: string, leasesFrom: number): Held {
  const [name, range, lease, ...rest] = line.split(' ');
  const fail = (problem: string): never => {
    throw new AssignedSyntaxError(line, problem);
  };
  if (!name || !range || !lease) return fail('expected a name, a range and a lease');
  const block = name.startsWith('-') ? `${worklist}${name}` : name;
  const seconds = /^(-?\d+(?:\.\d+)?)s$/.exec(lease)?.[1] ?? fail(`"${lease}" is not a lease like 12s`);
  const current = parseRange(range, block) ?? fail(`"${range}" is not a range like 1200+64#17@3`);
  let assignment: Assignment = {
    ...current,
    leaseExpires: leasesFrom + Math.round(Number(seconds) * 1000),
  };
  let next: Assignment | undefined;
  for (const part of rest) {
    if (part.startsWith('>')) {
      const started = part.startsWith('>!');
      next =
        parseRange(part.slice(started ? 2 : 1), block, assignment.generation) ??
        fail(`"${part}" is not a next range like >1264+64#18@5`);
      if (started) next = { ...next, started };
    } else if (/^y\d+$/.test(part)) {
      assignment = { ...assignment, yieldFrom: assignment.index + Number(part.slice(1)) };
    } else {
      let reported: RangeSet;
      try {
        reported = RangeSet.parse(part);
      } catch (err) {
        return fail((err as Error).message);
      }
      assignment = { ...assignment, reported: shift(reported, assignment.index) };
    }
  }
  return next ? { assignment, next } : { assignment };
}

/** The name as written: a Block named after its Worklist (`<worklist>-…`) drops the Worklist's name. */
function shortName(block: string, worklist: string): string {
  const prefix = `${worklist}-`;
  // A DNS name never starts with "-": the short form cannot be taken for a whole name.
  return block.startsWith(prefix) && block.length > prefix.length ? block.slice(worklist.length) : block;
}

/** `index+size#token@generation^attempt`; the generation left out when it is `impliedGeneration`. */
const formatRange = (a: Assignment, impliedGeneration?: number): string =>
  `${a.index}+${a.size}#${a.token}${a.generation === impliedGeneration ? '' : `@${a.generation}`}${a.attempt > 1 ? `^${a.attempt}` : ''}`;

function parseRange(text: string, block: string, impliedGeneration?: number): Assignment | undefined {
  const m = /^(\d+)\+(\d+)#(\d+)(?:@(\d+))?(?:\^(\d+))?$/.exec(text);
  if (!m || (m[4] === undefined && impliedGeneration === undefined)) return undefined;
  return {
    block,
    index: Number(m[1]),
    size: Number(m[2]),
    token: Number(m[3]),
    generation: m[4] === undefined ? impliedGeneration! : Number(m[4]),
    attempt: m[5] === undefined ? 1 : Number(m[5]),
    reported: RangeSet.EMPTY,
    leaseExpires: 0,
  };
}

const shift = (set: RangeSet, by: number): RangeSet =>
  RangeSet.of(...set.ranges.map((r) => ({ start: r.start + by, end: r.end + by })));
