import { describe, expect, it } from 'vitest';
import { complete, type CommandShape, type Lookup } from './complete.js';

const commands: CommandShape[] = [
  {
    id: 'get',
    flags: [
      { name: 'namespace', char: 'n', takesValue: true },
      { name: 'output', char: 'o', takesValue: true, options: ['json', 'yaml'] },
      { name: 'list', takesValue: true },
      { name: 'watch', char: 'w', takesValue: false },
    ],
    positional: ['resource', 'name'],
  },
  { id: 'status', flags: [{ name: 'namespace', char: 'n', takesValue: true }], positional: ['worklist'] },
  { id: 'work', flags: [{ name: 'jobs', char: 'j', takesValue: true }], positional: ['worklist'] },
  { id: 'token:create', flags: [{ name: 'worklist', takesValue: true }], positional: [] },
  { id: 'token:list', flags: [], positional: [] },
];
const look: Lookup = {
  worklists: async (ns) => (ns === 'ops' ? ['hosts'] : ['primes', 'pages']),
  blocks: async () => ['primes-w0'],
  namespaces: async () => ['default', 'ops'],
  contexts: () => ['kind-dev'],
};
const candidates = async (...words: string[]) => (await complete(words, commands, look)).split('\n');

describe('shell completion', () => {
  it.each([
    { words: [''], out: ['get', 'status', 'work', 'token', ':4'] },
    { words: ['token', ''], out: ['create', 'list', ':4'] },
    { words: ['token', 'create', '--w'], out: ['--worklist', ':4'] },
    { words: ['token', 'create', 'ci', ''], out: [':4'] },
    { words: ['st'], out: ['status', ':4'] },
    { words: ['get', ''], out: ['lists', 'worklists', 'wl', 'blocks', ':4'] },
    { words: ['get', 'blocks', ''], out: ['primes-w0', ':4'] },
    { words: ['get', 'lists', 'p'], out: ['primes', 'pages', ':4'] },
    { words: ['status', '-n', 'ops', ''], out: ['hosts', ':4'] },
    { words: ['status', '--namespace=ops', ''], out: ['hosts', ':4'] },
    { words: ['get', 'blocks', '-n', ''], out: ['default', 'ops', ':4'] },
    { words: ['get', 'blocks', '-o', ''], out: ['json', 'yaml', ':4'] },
    { words: ['get', 'blocks', '--list', 'pr'], out: ['primes', ':4'] },
    { words: ['get', '--w'], out: ['--watch', ':4'] },
    { words: ['work', 'primes', '--', ''], out: [':4'] },
    { words: ['nope', ''], out: [':4'] },
  ])('$words', async ({ words, out }) => {
    expect(await candidates(...words)).toEqual([...out, '']);
  });

  it('offers nothing from a cluster it cannot reach, rather than failing', async () => {
    const down: Lookup = { ...look, worklists: () => Promise.reject(new Error('down')) };
    expect(await complete(['status', ''], commands, down)).toBe(':4\n');
  });
});
