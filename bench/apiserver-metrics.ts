import type { KubeConfig } from '@kubernetes/client-node';
import { rawGet, readBody } from '../src/kube/raw.js';

/** One sample of kube-apiserver's `apiserver_request_total`, by verb, resource and code. */
export interface RequestCount {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  code: string;
  count: number;
}

/** Parses the `apiserver_request_total` lines of a Prometheus text page. */
export function requestCounts(text: string): RequestCount[] {
  const out: RequestCount[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const m = /^apiserver_request_total\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out.push({
      verb: labels.verb ?? '',
      group: labels.group ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      code: labels.code ?? '',
      count: Number(m[2]),
    });
  }
  return out;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);

export interface WriteCounts {
  /** Write requests, whatever their answer. */
  writes: number;
  /** Of which answered 409 Conflict. */
  conflicts: number;
  /** Of which answered 429 Too Many Requests (API Priority and Fairness). */
  throttled: number;
  /** Writes by "VERB resource[/subresource]". */
  byKind: Record<string, number>;
}

/**
 * Writes between two samples, to one API group's resources or (no group) to any but `ignore`
 * (e.g. leases: the control plane's own heartbeats, not the work's).
 */
export function writesBetween(
  before: RequestCount[],
  after: RequestCount[],
  { group, ignore = [] }: { group?: string; ignore?: string[] } = {},
): WriteCounts {
  const key = (r: RequestCount) =>
    `${r.group} ${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.code}`;
  // Lines that differ only in a label not in the key (dry_run, scope) are one count: summed, or
  // the last line of a key would stand for all of them.
  const sum = (rs: RequestCount[]) => {
    const totals = new Map<string, RequestCount>();
    for (const r of rs) {
      const seen = totals.get(key(r));
      totals.set(key(r), seen ? { ...seen, count: seen.count + r.count } : { ...r });
    }
    return totals;
  };
  const was = new Map([...sum(before)].map(([k, r]) => [k, r.count]));
  const out: WriteCounts = { writes: 0, conflicts: 0, throttled: 0, byKind: {} };
  for (const r of sum(after).values()) {
    if ((group !== undefined && r.group !== group) || !WRITES.has(r.verb) || ignore.includes(r.resource))
      continue;
    const delta = r.count - (was.get(key(r)) ?? 0);
    if (delta <= 0) continue;
    out.writes += delta;
    if (r.code === '409') out.conflicts += delta;
    if (r.code === '429') out.throttled += delta;
    const kind = `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
    out.byKind[kind] = (out.byKind[kind] ?? 0) + delta;
  }
  return out;
}

/** Writes and 409s to Teamtask's resources between two samples. */
export const teamtaskWrites = (before: RequestCount[], after: RequestCount[]) =>
  writesBetween(before, after, { group: 'teamtask.dev' });

/** etcd's database size as kube-apiserver last read it (`apiserver_storage_size_bytes`), summed over etcd clusters. */
export function storageBytes(text: string): number | undefined {
  const sizes = [...text.matchAll(/^apiserver_storage_size_bytes\{[^}]*\} (\S+)$/gm)].map((m) =>
    Number(m[1]),
  );
  return sizes.length ? sizes.reduce((a, b) => a + b, 0) : undefined;
}

/** kube-apiserver's /metrics, read with the kubeconfig's credentials. */
export async function apiserverMetrics(kc: KubeConfig): Promise<string> {
  return readBody(await rawGet(kc, '/metrics'));
}
