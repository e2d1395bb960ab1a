import { stringify } from 'yaml';

export const STRUCTURED_FORMATS = ['json', 'yaml'] as const;
export type OutputFormat = (typeof STRUCTURED_FORMATS)[number];

/** Renders data the way `kubectl -o json|yaml` does: 4-space JSON, block-style YAML, no trailing newline. */
export function render(data: unknown, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(data, null, 4);
    case 'yaml':
      // YAML 1.1 quoting, as kubectl reads YAML 1.1: an item "y" or "no" must stay a string.
      return stringify(data, { lineWidth: 0, version: '1.1' }).trimEnd();
  }
}
