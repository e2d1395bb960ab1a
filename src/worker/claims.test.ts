import { describe, expect, it } from 'vitest';
import type { BlockStatus } from '../api/v1alpha1/index.js';
import { claim, StartedTokens } from './claims.js';

const ready = (token: number, next?: number): BlockStatus => ({
  phase: 'Ready',
  token,
  index: 0,
  size: 10,
  ...(next ? { next: { index: 10, size: 10, token: next } } : {}),
});
const started = (...tokens: number[]) => new Set(tokens);
const finished = (token: number) => ({ token, done: '0-9' });

describe('claim', () => {
  it.each([
    [
      'nothing while the Block is Pending',
      { phase: 'Pending' } as BlockStatus,
      started(),
      undefined,
      undefined,
    ],
    ['the Block range it has not started', ready(7), started(), undefined, 7],
    ['the Block range it has not started, even with a next one', ready(7, 9), started(), undefined, 7],
    ['nothing while its range is the one it runs or ran', ready(7), started(7), undefined, undefined],
    [
      'the next range right after it finished the current one (the switch)',
      ready(7, 9),
      started(7),
      finished(7),
      9,
    ],
    ['no next range behind a range it did not finish', ready(7, 9), started(7), undefined, undefined],
    [
      'no next range it started already (the status lags)',
      ready(7, 9),
      started(7, 9),
      finished(9),
      undefined,
    ],
    ['the current range after the controller caught up', ready(9, 11), started(7, 9), finished(9), 11],
    [
      'no next range while the controller asks the range it finished to yield (the next goes to another)',
      { ...ready(7, 9), yieldFrom: 10 },
      started(7),
      finished(7),
      undefined,
    ],
  ])('gives %s', (_name, status, tokens, done, token) => {
    expect(claim(status, tokens, done)?.range.token).toBe(token);
  });

  it("carries the finished range's final report on a switch, and only then", () => {
    expect(claim(ready(7, 9), started(7), finished(7))?.finished).toEqual({ token: 7, done: '0-9' });
    expect(claim(ready(9), started(7), finished(7))?.finished).toBeUndefined();
  });

  it('reads the range from the status', () => {
    expect(claim({ ...ready(7), index: 30, size: 5, attempt: 2 }, started(), undefined)?.range).toEqual({
      index: 30,
      size: 5,
      token: 7,
      attempt: 2,
    });
  });
});

describe('StartedTokens', () => {
  it('remembers the latest tokens only', () => {
    const t = new StartedTokens(2);
    [1, 2, 3].forEach((x) => t.add(x));
    expect([1, 2, 3].map((x) => t.has(x))).toEqual([false, true, true]);
  });
});
