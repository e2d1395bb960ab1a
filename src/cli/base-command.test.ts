import { describe, expect, it } from 'vitest';
import { oneLine } from './base-command.js';

describe('a parse error', () => {
  it.each([
    [
      'a missing argument, without the note on flags that take several values',
      'Missing 1 required arg:\nname  the Worklist name\nSee more help with --help\n\nNote: --pod-annotation allows multiple values. Because of this you need to provide all arguments before providing that flag.',
      'Missing 1 required arg: name  the Worklist name',
    ],
    [
      'a flag value, naming the flag',
      'Parsing --jobs \n\tExpected an integer but received: x',
      '--jobs: Expected an integer but received: x',
    ],
  ])('reads as one line: %s', (_, message, line) => {
    expect(oneLine(message)).toBe(line);
  });
});
