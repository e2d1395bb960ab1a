import type { KubernetesObject } from '@kubernetes/client-node';
import { humanDuration } from './age.js';

/** A CRD's additionalPrinterColumn: what `kubectl get` shows for it. */
export interface Column {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
}

export interface TableOptions {
  /** Priority > 0 columns too (`-o wide`). */
  wide?: boolean;
  noHeaders?: boolean;
  /** A NAMESPACE column first (`-A`). */
  withNamespace?: boolean;
  now: Date;
}

/**
 * The rows kubectl prints for these objects: NAME, then the CRD's printer columns, from the
 * same definitions the API server uses (so `kubectl get` and `kubectl teamtask get` agree).
 */
export function tableRows(
  objects: readonly KubernetesObject[],
  columns: readonly Column[],
  o: TableOptions,
): string[][] {
  const shown = columns.filter((c) => o.wide || !c.priority);
  const header = [
    ...(o.withNamespace ? ['NAMESPACE'] : []),
    'NAME',
    ...shown.map((c) => c.name.toUpperCase()),
  ];
  const rows = objects.map((obj) => [
    ...(o.withNamespace ? [obj.metadata?.namespace ?? ''] : []),
    obj.metadata?.name ?? '',
    ...shown.map((c) => cell(obj, c, o.now)),
  ]);
  return o.noHeaders ? rows : [header, ...rows];
}

/** Aligned like kubectl's tabwriter: each column its widest cell plus 3 spaces, at least 6. */
export function alignRows(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((row) =>
      row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(Math.max(widths[i]! + 3, 6)))).join(''),
    )
    .join('\n');
}

export const printTable = (
  objects: readonly KubernetesObject[],
  columns: readonly Column[],
  o: TableOptions,
) => alignRows(tableRows(objects, columns, o));

function cell(obj: KubernetesObject, c: Column, now: Date): string {
  const value = valueAt(obj, c.jsonPath);
  // kubectl prints an empty cell for a column the object has no value for.
  if (value === undefined || value === null) return '';
  if (c.type === 'date') return humanDuration(now.getTime() - new Date(String(value)).getTime());
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The value at a simple JSONPath like `.status.totalItems` (what printer columns use). */
export function valueAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.replace(/^\./, '').split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
