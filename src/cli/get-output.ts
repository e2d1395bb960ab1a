import { Flags } from '@oclif/core';
import type { OutputFormat } from './output.js';

/** kubectl's `-o` for get: a table (default), wide, json, yaml, name, or jsonpath=TEMPLATE. */
export const getOutputFlag = Flags.custom<OutputFormat>({
  char: 'o',
  description: 'output format: wide, json, yaml, name, or jsonpath=TEMPLATE',
  parse: async (input) => {
    if (input === 'wide' || input === 'json' || input === 'yaml' || input === 'name') return input;
    if (/^jsonpath=/.test(input)) return input as OutputFormat;
    throw new Error(`unknown output format "${input}": use wide, json, yaml, name or jsonpath=TEMPLATE`);
  },
});
