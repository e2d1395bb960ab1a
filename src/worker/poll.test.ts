import { describe, expect, it } from 'vitest';
import { pollDelay } from './poll.js';

describe('pollDelay', () => {
  it.each([
    { case: 'polls soon right after asking for a range', idle: 0, max: 250, want: 20 },
    { case: 'doubles while no range comes', idle: 2, max: 250, want: 80 },
    { case: 'never waits longer than the maximum', idle: 10, max: 250, want: 250 },
    { case: 'stays finite after a very long wait', idle: 10_000, max: 250, want: 250 },
    { case: 'a maximum below the first wait wins', idle: 0, max: 5, want: 5 },
  ])('$case', ({ idle, max, want }) => {
    expect(pollDelay(idle, max)).toBe(want);
  });
});
