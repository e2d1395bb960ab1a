import { describe, expect, it } from 'vitest';
import { substitute } from './items.js';

describe('substitute', () => {
  it.each([
    { args: ['ping', '-c1', '{}'], want: ['ping', '-c1', 'host'] },
    { args: ['echo', '{#}:{}'], want: ['echo', '7:host'] },
    { args: ['./check.sh'], want: ['./check.sh', 'host'] },
  ])('$args becomes $want', ({ args, want }) => {
    expect(substitute(args, 'host', 7)).toEqual(want);
  });
});
