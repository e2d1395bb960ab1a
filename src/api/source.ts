import type { WorklistSpecSource } from './v1alpha1/index.js';
import { MAX_BLOCKS_KEY } from './names.js';

/**
 * What a Worklist's source holds: the items and their count. Pure, shared by `create` (which
 * checks a source before it makes anything), the controller (which counts it) and the worker
 * (which reads its items).
 */

/** The lines of a ConfigMap source that are items: every non-empty one, in order. */
export const itemLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/** Items in a source, when the source itself says (not a ConfigMap). */
export function countItems(source: WorklistSpecSource): number | undefined {
  if (source.range) return source.range.end - source.range.start + 1;
  if (source.inline) return source.inline.length;
  return undefined;
}

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

/**
 * The cluster's cap on blocks per Worklist, from the limits ConfigMap's data (install's
 * teamtask-limits): undefined when unset or not a positive integer (no cap).
 */
export function maxBlocksPerWorklist(data: Readonly<Record<string, string>> | undefined): number | undefined {
  const max = Number(data?.[MAX_BLOCKS_KEY]);
  return Number.isSafeInteger(max) && max > 0 ? max : undefined;
}
