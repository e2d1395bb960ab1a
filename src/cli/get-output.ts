import { Flags } from '@oclif/core';

/** kubectl's `-o` for get: a table (default), wide, json, yaml, name, or jsonpath=TEMPLATE. */
export type GetFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'json' | 'yaml' | 'name' }
  | { kind: 'jsonpath'; template: string };

export const getOutputFlag = Flags.custom<GetFormat>({
  char: 'o',
  description: 'output format: wide, json, yaml, name, or jsonpath=TEMPLATE',
  parse: async (input) => {
    if (input === 'wide') return { kind: 'table', wide: true };
    if (input === 'json' || input === 'yaml' || input === 'name') return { kind: input };
    const m = /^jsonpath=(.*)$/s.exec(input);
    if (m) return { kind: 'jsonpath', template: m[1]! };
    throw new Error(`unknown output format "${input}": use wide, json, yaml, name or jsonpath=TEMPLATE`);
  },
});
