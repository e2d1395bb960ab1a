import { describe, expect, it } from 'vitest';
import { MAX_RANGE_BLOCKS, rangeSize } from './range-size.js';

const policy = { blockSize: 100, maxAttempts: 3, leaseMs: 60_000 };

describe('rangeSize', () => {
  it.each([
    {
      case: 'one block when the worker asks for nothing (its first range, --per-block)',
      asked: undefined,
      pool: 1e6,
      working: 4,
      size: 100,
    },
    { case: 'one block when it asks for less than a block', asked: 30, pool: 1e6, working: 4, size: 100 },
    { case: 'whole blocks, rounded down', asked: 750, pool: 1e6, working: 4, size: 700 },
    {
      case: `at most ${MAX_RANGE_BLOCKS} blocks`,
      asked: 1e9,
      pool: 1e9,
      working: 1,
      size: MAX_RANGE_BLOCKS * 100,
    },
    {
      case: 'at most an even share of the pool per working Block',
      asked: 5000,
      pool: 4000,
      working: 4,
      size: 1000,
    },
    { case: 'one block still when the pool is nearly empty', asked: 5000, pool: 350, working: 4, size: 100 },
    {
      case: 'a share counted for one Block when none works yet',
      asked: 5000,
      pool: 2000,
      working: 0,
      size: 2000,
    },
  ])('gives $case', ({ asked, pool, working, size }) => {
    expect(rangeSize(policy, asked, pool, working)).toBe(size);
  });
});
