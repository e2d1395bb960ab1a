import { Flags } from '@oclif/core';
import { formatDuration, parseDuration } from './duration.js';
import { STRUCTURED_FORMATS } from './output.js';

/** `-o json|yaml`, for commands whose human output is not a table. */
export const structuredOutputFlag = Flags.option({
  char: 'o',
  options: STRUCTURED_FORMATS,
  description: 'output format',
});

/** `--timeout 2m`: a kubectl-style duration, parsed to milliseconds; help shows the default as one. */
export const durationFlag = Flags.custom<number>({
  parse: async (input) => {
    const ms = parseDuration(input);
    if (ms === undefined)
      throw new Error(`invalid duration "${input}": use a number with a unit, like 90s or 2m`);
    return ms;
  },
  defaultHelp: async ({ options }) =>
    typeof options.default === 'number' ? formatDuration(options.default) : undefined,
});
