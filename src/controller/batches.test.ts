import { describe, expect, it } from 'vitest';
import { inBatches } from './batches.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('inBatches', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await inBatches([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await tick();
      seen.push(n);
      running--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('finishes the others before it rejects with the first error', async () => {
    const seen: number[] = [];
    const run = inBatches([1, 2, 3], 2, async (n) => {
      await tick();
      if (n === 1) throw new Error('one');
      seen.push(n);
    });
    await expect(run).rejects.toThrow('one');
    expect(seen.sort()).toEqual([2, 3]);
  });

  it('does nothing for no items', async () => {
    await expect(inBatches([], 4, () => Promise.reject(new Error('called')))).resolves.toBeUndefined();
  });
});
