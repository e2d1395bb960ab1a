import { describe, expect, it } from 'vitest';
import { countItems, itemAt, itemLines, maxBlocksPerWorklist } from './source.js';

describe('itemAt', () => {
  it.each([
    { name: 'a range counts from its start', source: { range: { start: 5, end: 9 } }, offset: 2, want: '7' },
    { name: 'an inline list indexes its items', source: { inline: ['a', 'b', 'c'] }, offset: 1, want: 'b' },
    {
      name: 'a ConfigMap source indexes its non-empty lines',
      source: { configMap: { name: 'x' } },
      offset: 1,
      want: 'h2',
      lines: itemLines('h1\n\nh2\n'),
    },
  ])('$name', ({ source, offset, want, lines }) => {
    expect(itemAt(source, offset, lines)).toBe(want);
  });

  it('refuses an offset past the end', () => {
    expect(() => itemAt({ inline: ['a'] }, 3)).toThrow('no item at offset 3');
  });
});

describe('countItems', () => {
  it.each([
    { name: 'a range counts both ends', source: { range: { start: 5, end: 9 } }, want: 5 },
    { name: 'an inline list counts its items', source: { inline: ['a', 'b'] }, want: 2 },
    {
      name: 'a ConfigMap source cannot tell without reading it',
      source: { configMap: { name: 'x' } },
      want: undefined,
    },
  ])('$name', ({ source, want }) => {
    expect(countItems(source)).toBe(want);
  });
});

describe('maxBlocksPerWorklist', () => {
  it.each<{ name: string; data: Record<string, string> | undefined; want: number | undefined }>([
    { name: 'a positive integer is the cap', data: { maxBlocksPerWorklist: '500' }, want: 500 },
    { name: 'no limits ConfigMap is no cap', data: undefined, want: undefined },
    { name: 'an unset key is no cap', data: {}, want: undefined },
    { name: 'zero is no cap', data: { maxBlocksPerWorklist: '0' }, want: undefined },
    { name: 'a fraction is no cap', data: { maxBlocksPerWorklist: '2.5' }, want: undefined },
    { name: 'text is no cap', data: { maxBlocksPerWorklist: 'many' }, want: undefined },
  ])('$name', ({ data, want }) => {
    expect(maxBlocksPerWorklist(data)).toBe(want);
  });
});
