import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-store.js';
import type { TokenRecord } from './tokens.js';

const rec = (name: string) => ({ name }) as TokenRecord;

/** A cache over a store whose reads are counted, with a clock the test moves. */
function setup(stored: string[]) {
  let t = 0;
  const names = new Set(stored);
  let reads = 0;
  const cache = new TokenCache(
    async () => {
      reads++;
      return new Map([...names].map((n) => [n, rec(n)]));
    },
    () => t,
    2000,
    250,
  );
  return { cache, names, reads: () => reads, at: (ms: number) => (t = ms) };
}

describe('TokenCache', () => {
  it('reads the tokens once, then serves known names from its copy until it is 2 s old', async () => {
    const s = setup(['a']);
    expect(await s.cache.lookup('a')).toEqual(rec('a'));
    s.at(1999);
    await s.cache.lookup('a');
    expect(s.reads()).toBe(1);
    s.at(2001);
    await s.cache.lookup('a');
    expect(s.reads()).toBe(2);
  });

  it('refuses a revoked token once its copy is read again', async () => {
    const s = setup(['a']);
    await s.cache.lookup('a');
    s.names.delete('a');
    s.at(2001);
    expect(await s.cache.lookup('a')).toBeUndefined();
  });

  it('reads again for a name it does not know, at most every 250 ms (a flood of made-up tokens costs a few reads)', async () => {
    const s = setup([]);
    for (let i = 0; i < 100; i++) await s.cache.lookup(`x${i}`);
    expect(s.reads()).toBe(1);
    s.names.add('new');
    s.at(251);
    expect(await s.cache.lookup('new')).toEqual(rec('new'));
    expect(s.reads()).toBe(2);
  });

  it('makes one read for requests that ask at once', async () => {
    const s = setup(['a']);
    await Promise.all(Array.from({ length: 10 }, () => s.cache.lookup('a')));
    expect(s.reads()).toBe(1);
  });
});
