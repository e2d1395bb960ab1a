import { describe, expect, it } from 'vitest';
import { itemAt, itemLines, substitute } from './items.js';

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

describe('substitute', () => {
  it.each([
    { args: ['ping', '-c1', '{}'], want: ['ping', '-c1', 'host'] },
    { args: ['echo', '{#}:{}'], want: ['echo', '7:host'] },
    { args: ['./check.sh'], want: ['./check.sh', 'host'] },
  ])('$args becomes $want', ({ args, want }) => {
    expect(substitute(args, 'host', 7)).toEqual(want);
  });
});
