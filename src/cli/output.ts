import { stringify } from 'yaml';
import { renderJsonPath } from '../printers/jsonpath.js';

export const STRUCTURED_FORMATS = ['json', 'yaml'] as const;
export type StructuredFormat = (typeof STRUCTURED_FORMATS)[number];

/**
 * An `-o` value as the user gave it: json, yaml, name, wide or jsonpath=TEMPLATE. Each command's
 * flag takes the ones it supports (flags.ts, get-output.ts); one printer handles them all.
 */
export type OutputFormat = StructuredFormat | 'name' | 'wide' | `jsonpath=${string}`;

/** What a command shows, in each form an `-o` may ask for. */
export interface Printable {
  /** What -o json, yaml and jsonpath print (several objects as one `kind: List`, as kubectl does). */
  data: unknown;
  /** What -o name prints: each object as kubectl names it, `<resource>.<group>/<name>`. */
  names?: () => string[];
  /** The text for a person: without -o, and with `wide` for -o wide. */
  human?: (wide: boolean) => string;
}

export interface PrintOptions {
  /** -o json as one line (a watch prints one document per change, one per line). */
  oneLine?: boolean;
}

/** The text to print; jsonpath's is printed as it is, without a line break (as kubectl does). */
export interface Printed {
  text: string;
  newline: boolean;
}

/** Renders data the way `kubectl -o json|yaml` does: 4-space JSON, block-style YAML, no trailing newline. */
export function render(data: unknown, format: StructuredFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(data, null, 4);
    case 'yaml':
      // YAML 1.1 quoting, as kubectl reads YAML 1.1: an item "y" or "no" must stay a string.
      return stringify(data, { lineWidth: 0, version: '1.1' }).trimEnd();
  }
}

/** The one printer of every command: what `-o FORMAT` (or no -o) prints of what the command shows. */
export function formatOutput(p: Printable, format: OutputFormat | undefined, o: PrintOptions = {}): Printed {
  const line = (text: string): Printed => ({ text, newline: true });
  if (format === undefined || format === 'wide') {
    if (!p.human) throw new Error(`this command has no ${format === 'wide' ? '-o wide' : 'human'} output`);
    return line(p.human(format === 'wide'));
  }
  if (format === 'json') return line(o.oneLine ? JSON.stringify(p.data) : render(p.data, 'json'));
  if (format === 'yaml') return line(render(p.data, 'yaml'));
  if (format === 'name') {
    if (!p.names) throw new Error('this command has no -o name output');
    return line(p.names().join('\n'));
  }
  return { text: renderJsonPath(format.slice('jsonpath='.length), p.data), newline: false };
}
