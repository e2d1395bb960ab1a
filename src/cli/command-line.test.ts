import { describe, expect, it } from 'vitest';
import { commandLine } from './command-line.js';

describe('commandLine', () => {
  it.each([
    {
      name: "keeps the command's words in order when a flag's value repeats one of them",
      raw: ['primes', '--jobs', '1', '--', 'sleep', '1'],
      positional: ['primes', '1', 'sleep'],
      want: ['sleep', '1'],
    },
    {
      name: 'passes flags after -- to the command, untouched',
      raw: ['primes', '--', 'grep', '-c', '--', '{}'],
      positional: ['primes', 'grep', '-c', '--', '{}'],
      want: ['grep', '-c', '--', '{}'],
    },
    {
      name: 'takes the positional arguments after the first when there is no --',
      raw: ['primes', 'echo', '{}'],
      positional: ['primes', 'echo', '{}'],
      want: ['echo', '{}'],
    },
    { name: 'is empty when nothing follows --', raw: ['primes', '--'], positional: ['primes'], want: [] },
  ])('$name', ({ raw, positional, want }) => {
    expect(commandLine(raw, positional)).toEqual(want);
  });
});
