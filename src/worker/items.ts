import type { WorklistSpecSource } from '../api/v1alpha1/index.js';

/** The lines of a ConfigMap source that are items: every non-empty one, in order. */
export const itemLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/**
 * The item at an offset (0-based position in the Worklist). `lines` are the ConfigMap's item
 * lines, for a ConfigMap source.
 */
export function itemAt(source: WorklistSpecSource, offset: number, lines?: readonly string[]): string {
  if (source.range) return String(source.range.start + offset);
  const list = source.inline ?? lines;
  const item = list?.[offset];
  if (item === undefined) throw new Error(`no item at offset ${offset}`);
  return item;
}

/** A command's arguments with `{}` replaced by the item and `{#}` by its offset, as GNU parallel does. */
export function substitute(args: readonly string[], item: string, offset: number): string[] {
  const hasPlaceholder = args.some((a) => a.includes('{}'));
  const replaced = args.map((a) => a.replaceAll('{#}', String(offset)).replaceAll('{}', item));
  // Like parallel and xargs: with no {} at all, the item is the last argument.
  return hasPlaceholder ? replaced : [...replaced, item];
}
