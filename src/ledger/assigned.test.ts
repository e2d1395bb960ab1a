import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssignedSyntaxError, formatHeld, parseHeld, type Held } from './assigned.js';
import type { Assignment } from './ledger.js';
import { RangeSet } from './range-set.js';

const T = Date.parse('2026-12-02T10:00:00Z');

const range = (over: Partial<Assignment> = {}): Assignment => ({
  block: 'primes-x7k2p',
  index: 1200,
  size: 64,
  token: 17,
  generation: 3,
  attempt: 1,
  reported: RangeSet.EMPTY,
  leaseExpires: T + 12_000,
  ...over,
});

describe('a line of status.assigned', () => {
  it.each<[string, Held, string]>([
    [
      'a range out, its lease in seconds after leasesFrom',
      { assignment: range() },
      '-x7k2p 1200+64#17@3 12s',
    ],
    [
      'what its worker reported, as offsets within the range',
      { assignment: range({ reported: RangeSet.parse('1200-1209,1212') }) },
      '-x7k2p 1200+64#17@3 12s 0-9,12',
    ],
    [
      'the range its Block starts next, after ">"',
      {
        assignment: range(),
        next: range({ index: 5000, size: 32, token: 18, generation: 5, leaseExpires: 0 }),
      },
      '-x7k2p 1200+64#17@3 12s >5000+32#18@5',
    ],
    [
      'a later attempt after "^", an ask to yield as an offset within the range',
      {
        assignment: range({ attempt: 2, yieldFrom: 1240 }),
        next: range({ index: 0, size: 1, token: 9, attempt: 3, leaseExpires: 0 }),
      },
      '-x7k2p 1200+64#17@3^2 12s y40 >0+1#9^3',
    ],
    [
      'a next range handed out at the generation of the range before it, without it',
      { assignment: range(), next: range({ index: 5000, size: 32, token: 18, leaseExpires: 0 }) },
      '-x7k2p 1200+64#17@3 12s >5000+32#18',
    ],
    [
      'a Block not named after its Worklist, whole',
      { assignment: range({ block: 'laptop' }) },
      'laptop 1200+64#17@3 12s',
    ],
    [
      'a Block named just "<worklist>-", whole',
      { assignment: range({ block: 'primes-' }) },
      'primes- 1200+64#17@3 12s',
    ],
    [
      'a lease off the second, in milliseconds',
      { assignment: range({ leaseExpires: T + 1_250 }) },
      '-x7k2p 1200+64#17@3 1.25s',
    ],
  ])('writes %s', (_, held, line) => {
    expect(formatHeld(held, 'primes', T)).toBe(line);
    expect(parseHeld(line, 'primes', T)).toEqual(held);
  });

  it.each([
    ['-x7k2p 1200+64#17@3', 'expected a name, a range and a lease'],
    ['-x7k2p 1200+64#17 12s', '"1200+64#17" is not a range like 1200+64#17@3'],
    ['-x7k2p 1200+64#17@3 12', '"12" is not a lease like 12s'],
    ['-x7k2p 1200+64#17@3 12s >5000+32', '">5000+32" is not a next range like >1264+64#18@5'],
    ['-x7k2p 1200+64#17@3 12s 9-3', '"9-3" ends before it starts'],
  ])('refuses "%s": %s', (line, problem) => {
    expect(() => parseHeld(line, 'primes', T)).toThrow(new AssignedSyntaxError(line, problem));
  });

  it('reads back whatever it wrote', () => {
    const arbRange = fc
      .record({
        block: fc.constantFrom('primes-x7k2p', 'primes-a', 'other', 'primes'),
        index: fc.nat(1e9),
        size: fc.integer({ min: 1, max: 1e6 }),
        token: fc.integer({ min: 1, max: 2 ** 48 }),
        generation: fc.nat(1e6),
        attempt: fc.integer({ min: 1, max: 9 }),
        lease: fc.nat(3_600_000),
        reported: fc.array(fc.nat(1e6), { maxLength: 6 }),
        yieldAt: fc.option(fc.nat(1e6), { nil: undefined }),
      })
      .map((r) => {
        const within = (o: number) => r.index + (o % r.size);
        const a: Assignment & { yieldFrom?: number } = {
          block: r.block,
          index: r.index,
          size: r.size,
          token: r.token,
          generation: r.generation,
          attempt: r.attempt,
          reported: RangeSet.of(...r.reported.map((o) => ({ start: within(o), end: within(o) }))),
          leaseExpires: T + r.lease,
        };
        if (r.yieldAt !== undefined) a.yieldFrom = r.index + (r.yieldAt % (r.size + 1));
        return a;
      });
    fc.assert(
      fc.property(arbRange, fc.option(arbRange, { nil: undefined }), (a, n) => {
        // A next range is never started: nothing reported, no lease, no ask.
        const next = n && { ...n, block: a.block, reported: RangeSet.EMPTY, leaseExpires: 0 };
        delete next?.yieldFrom;
        const held: Held = next ? { assignment: a, next } : { assignment: a };
        expect(parseHeld(formatHeld(held, 'primes', T), 'primes', T)).toEqual(held);
      }),
    );
  });
});
