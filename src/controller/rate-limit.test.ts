import { describe, expect, it } from 'vitest';
import { AssignmentLimits } from './rate-limit.js';

describe('AssignmentLimits', () => {
  it('needs a token from both the global bucket and the Worklist’s own', () => {
    let now = 0;
    const limits = new AssignmentLimits({ qps: 10, burst: 3, worklistQps: 1, worklistBurst: 2 }, () => now);
    expect(limits.budget('a')).toBe(2);
    limits.take('a', 2);
    expect(limits.budget('a')).toBe(0);
    expect(limits.budget('b')).toBe(1); // the global bucket has one left
    expect(limits.waitMs('a')).toBe(1000);
    now = 1000;
    expect(limits.budget('a')).toBe(1);
  });
});
