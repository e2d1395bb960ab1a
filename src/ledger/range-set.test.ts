import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet, RangeSyntaxError } from './range-set.js';

describe('RangeSet.parse and toString', () => {
  it.each([
    ['', ''],
    ['7', '7'],
    ['0-41999,43000-43999', '0-41999,43000-43999'],
    ['9-10,0-4,7', '0-4,7,9-10'],
    ['0-4,5-9', '0-9'],
    ['0-5,3-8', '0-8'],
    [' 1 - 3 , 5 ', '1-3,5'],
    ['4-4', '4'],
  ])('reads %j and writes it back normalized as %j', (text, want) => {
    expect(RangeSet.parse(text).toString()).toBe(want);
  });

  it.each([
    ['5-3', '"5-3" ends before it starts'],
    ['a-3', '"a-3" is not an offset or a range like 3-7'],
    ['-3', '"-3" is not an offset or a range like 3-7'],
    ['1,,2', '"" is not an offset or a range like 3-7'],
    ['1.5', '"1.5" is not an offset or a range like 3-7'],
    ['0-9007199254740992', '"0-9007199254740992": offsets are whole numbers from 0 to 9007199254740991'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => RangeSet.parse(text)).toThrow(new RangeSyntaxError(message));
  });
});

describe('RangeSet operations', () => {
  const s = (text: string) => RangeSet.parse(text);

  it.each([
    { op: 'union', a: '0-4', b: '5-9', want: '0-9' },
    { op: 'union', a: '0-4,10-14', b: '3-11', want: '0-14' },
    { op: 'subtract', a: '0-99', b: '10-19,50', want: '0-9,20-49,51-99' },
    { op: 'subtract', a: '0-9', b: '0-9', want: '' },
    { op: 'subtract', a: '5-9', b: '0-4,10-14', want: '5-9' },
    { op: 'intersect', a: '0-9,20-29', b: '5-24', want: '5-9,20-24' },
    { op: 'intersect', a: '0-9', b: '10-19', want: '' },
  ] as const)('$a $op $b is $want', ({ op, a, b, want }) => {
    expect(s(a)[op](s(b)).toString()).toBe(want);
  });

  it('takes the smallest offsets across gaps', () => {
    const [taken, rest] = s('0-2,10-19').take(5);
    expect(taken.toString()).toBe('0-2,10-11');
    expect(rest.toString()).toBe('12-19');
  });

  it('counts items, not ranges, and handles the whole safe-integer span', () => {
    expect(s('0-41999,43000-43999').size).toBe(43000);
    expect(RangeSet.span(0, Number.MAX_SAFE_INTEGER - 1).size).toBe(Number.MAX_SAFE_INTEGER);
  });
});

// Model-based: every operation agrees with the same operation on a plain Set of numbers.
describe('RangeSet against a Set<number> model', () => {
  const UNIVERSE = 120;
  const ranges = fc.array(
    fc.tuple(fc.nat(UNIVERSE), fc.nat(12)).map(([start, len]) => ({ start, end: start + len })),
    { maxLength: 8 },
  );
  const toSet = (r: RangeSet) => {
    const out = new Set<number>();
    for (const { start, end } of r.ranges) for (let i = start; i <= end; i++) out.add(i);
    return out;
  };
  const modelOf = (rs: { start: number; end: number }[]) => {
    const out = new Set<number>();
    for (const { start, end } of rs) for (let i = start; i <= end; i++) out.add(i);
    return out;
  };
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  const normalized = (r: RangeSet) =>
    r.ranges.every((x, i) => x.start <= x.end && (i === 0 || x.start > r.ranges[i - 1]!.end + 1));

  it('stores any input normalized: sorted, disjoint, not adjacent', () => {
    fc.assert(
      fc.property(
        ranges,
        (a) =>
          normalized(RangeSet.of(...a)) &&
          sorted(toSet(RangeSet.of(...a))).join() === sorted(modelOf(a)).join(),
      ),
    );
  });

  it('round-trips through its string form', () => {
    fc.assert(
      fc.property(ranges, (a) => RangeSet.parse(RangeSet.of(...a).toString()).equals(RangeSet.of(...a))),
    );
  });

  it.each(['union', 'subtract', 'intersect'] as const)('%s agrees with the model', (op) => {
    const model = {
      union: (x: Set<number>, y: Set<number>) => new Set([...x, ...y]),
      subtract: (x: Set<number>, y: Set<number>) => new Set([...x].filter((v) => !y.has(v))),
      intersect: (x: Set<number>, y: Set<number>) => new Set([...x].filter((v) => y.has(v))),
    }[op];
    fc.assert(
      fc.property(ranges, ranges, (a, b) => {
        const got = RangeSet.of(...a)[op](RangeSet.of(...b));
        return normalized(got) && sorted(toSet(got)).join() === sorted(model(modelOf(a), modelOf(b))).join();
      }),
    );
  });

  it('take(n) splits off the n smallest offsets and keeps the rest', () => {
    fc.assert(
      fc.property(ranges, fc.nat(200), (a, n) => {
        const set = RangeSet.of(...a);
        const [taken, rest] = set.take(n);
        const all = sorted(modelOf(a));
        return (
          sorted(toSet(taken)).join() === all.slice(0, n).join() &&
          sorted(toSet(rest)).join() === all.slice(n).join() &&
          taken.size === Math.min(n, set.size)
        );
      }),
    );
  });

  it('size and has agree with the model', () => {
    fc.assert(
      fc.property(ranges, fc.nat(UNIVERSE + 20), (a, probe) => {
        const set = RangeSet.of(...a);
        return set.size === modelOf(a).size && set.has(probe) === modelOf(a).has(probe);
      }),
    );
  });
});
