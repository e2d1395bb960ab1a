import { describe, expect, it } from 'vitest';
import { FirstSeen } from './first-seen.js';

const block = (name: string, uid = `uid-${name}`) => ({ metadata: { name, uid } });

describe('FirstSeen', () => {
  it('keeps the time a Block was first seen, by its UID', () => {
    const f = new FirstSeen();
    expect(f.of([block('a')], 100)).toEqual(new Map([['a', 100]]));
    expect(f.of([block('a'), block('b')], 250)).toEqual(
      new Map([
        ['a', 100],
        ['b', 250],
      ]),
    );
  });

  it('sees a Block made again under the same name (a new UID) anew, and one forgotten too', () => {
    const f = new FirstSeen();
    f.of([block('a'), block('b')], 100);
    f.forgetBlock('uid-b');
    expect(f.of([block('a', 'uid-a2'), block('b')], 300)).toEqual(
      new Map([
        ['a', 300],
        ['b', 300],
      ]),
    );
  });
});
