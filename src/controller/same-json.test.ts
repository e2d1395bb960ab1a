import { describe, expect, it } from 'vitest';
import { sameJson } from './same-json.js';

describe('sameJson', () => {
  it.each([
    { name: 'key order does not matter', a: { x: 1, y: 2 }, b: { y: 2, x: 1 }, same: true },
    {
      name: 'nested key order does not matter',
      a: { s: { x: 1, y: [1, 2] } },
      b: { s: { y: [1, 2], x: 1 } },
      same: true,
    },
    { name: 'an undefined field is an absent one', a: { x: 1, y: undefined }, b: { x: 1 }, same: true },
    { name: 'a different value differs', a: { x: 1 }, b: { x: 2 }, same: false },
    { name: 'array order matters', a: [1, 2], b: [2, 1], same: false },
    { name: 'a missing field differs from a null one', a: { x: null }, b: {}, same: false },
    { name: 'nothing equals nothing', a: undefined, b: undefined, same: true },
  ])('$name', ({ a, b, same }) => {
    expect(sameJson(a, b)).toBe(same);
  });
});
