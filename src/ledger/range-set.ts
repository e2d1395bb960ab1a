/** An inclusive range of item offsets: `start` ≤ `end`. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** A malformed range string, e.g. from a user's `--range` or a corrupted status field. */
export class RangeSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RangeSyntaxError';
  }
}

/**
 * An immutable set of non-negative integer offsets, stored as sorted, disjoint, non-adjacent
 * inclusive ranges, and written like the Job controller's completedIndexes: "0-41999,43000,43002-43999".
 * Every operation costs O(number of ranges), never O(number of items).
 */
export class RangeSet {
  static readonly EMPTY = new RangeSet([]);

  private constructor(readonly ranges: readonly Range[]) {}

  /** The set of the given ranges, in any order, overlapping or not. */
  static of(...ranges: Range[]): RangeSet {
    for (const r of ranges) checkRange(r.start, r.end, `${r.start}-${r.end}`);
    return new RangeSet(normalize(ranges));
  }

  /** Offsets `start` to `end`, both included; empty when end < start. */
  static span(start: number, end: number): RangeSet {
    return end < start ? RangeSet.EMPTY : RangeSet.of({ start, end });
  }

  /** Parses "0-4,7,9-10" (any order; "" is the empty set); throws RangeSyntaxError saying what is wrong. */
  static parse(text: string): RangeSet {
    const trimmed = text.trim();
    if (trimmed === '') return RangeSet.EMPTY;
    const ranges = trimmed.split(',').map((part) => {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) throw new RangeSyntaxError(`"${part.trim()}" is not an offset or a range like 3-7`);
      const start = Number(m[1]);
      const end = m[2] === undefined ? start : Number(m[2]);
      checkRange(start, end, part.trim());
      return { start, end };
    });
    return new RangeSet(normalize(ranges));
  }

  toString(): string {
    return this.ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Number of offsets in the set. */
  get size(): number {
    return this.ranges.reduce((n, r) => n + r.end - r.start + 1, 0);
  }

  has(offset: number): boolean {
    return this.ranges.some((r) => r.start <= offset && offset <= r.end);
  }

  equals(other: RangeSet): boolean {
    return this.toString() === other.toString();
  }

  union(other: RangeSet): RangeSet {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return new RangeSet(normalize([...this.ranges, ...other.ranges]));
  }

  subtract(other: RangeSet): RangeSet {
    if (this.isEmpty || other.isEmpty) return this;
    const out: Range[] = [];
    let j = 0;
    for (const r of this.ranges) {
      let start = r.start;
      // Skip cuts that end before this range; they cannot touch later ranges either.
      while (j < other.ranges.length && other.ranges[j]!.end < start) j++;
      let k = j;
      while (k < other.ranges.length && other.ranges[k]!.start <= r.end) {
        const cut = other.ranges[k]!;
        if (cut.start > start) out.push({ start, end: cut.start - 1 });
        start = Math.max(start, cut.end + 1);
        k++;
      }
      if (start <= r.end) out.push({ start, end: r.end });
    }
    return new RangeSet(out);
  }

  intersect(other: RangeSet): RangeSet {
    const out: Range[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ranges.length && j < other.ranges.length) {
      const a = this.ranges[i]!;
      const b = other.ranges[j]!;
      const start = Math.max(a.start, b.start);
      const end = Math.min(a.end, b.end);
      if (start <= end) out.push({ start, end });
      if (a.end < b.end) i++;
      else j++;
    }
    return new RangeSet(out);
  }

  /** Splits off the `count` smallest offsets: [taken, rest]. */
  take(count: number): [RangeSet, RangeSet] {
    const taken: Range[] = [];
    let left = count;
    for (const r of this.ranges) {
      if (left <= 0) break;
      const end = Math.min(r.end, r.start + left - 1);
      taken.push({ start: r.start, end });
      left -= end - r.start + 1;
    }
    const head = new RangeSet(taken);
    return [head, this.subtract(head)];
  }
}

function checkRange(start: number, end: number, text: string): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) {
    throw new RangeSyntaxError(`"${text}": offsets are whole numbers from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (end < start) throw new RangeSyntaxError(`"${text}" ends before it starts`);
}

/** Sorts and merges overlapping and adjacent ranges. */
function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start <= last.end + 1) {
      if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end };
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}
