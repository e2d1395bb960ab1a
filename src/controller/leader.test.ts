import { describe, expect, it } from 'vitest';
import { mayHold } from './leader.js';

describe('mayHold', () => {
  it.each([
    { name: 'a lease nobody holds', lease: undefined, now: 0, want: true },
    {
      name: 'a released lease',
      lease: { holder: '', renewTime: 1000, durationMs: 15_000 },
      now: 2000,
      want: true,
    },
    {
      name: 'its own lease',
      lease: { holder: 'me', renewTime: 1000, durationMs: 15_000 },
      now: 2000,
      want: true,
    },
    {
      name: "another's live lease",
      lease: { holder: 'other', renewTime: 1000, durationMs: 15_000 },
      now: 15_999,
      want: false,
    },
    {
      name: "another's expired lease",
      lease: { holder: 'other', renewTime: 1000, durationMs: 15_000 },
      now: 16_000,
      want: true,
    },
  ])('$name: $want', ({ lease, now, want }) => {
    expect(mayHold(lease, 'me', now)).toBe(want);
  });
});
