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

/** Writes and 409s to Teamtask's resources between two samples. */
export function teamtaskWrites(
  before: RequestCount[],
  after: RequestCount[],
): { writes: number; conflicts: number; byKind: Record<string, number> } {
  const key = (r: RequestCount) =>
    `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.code}`;
  const was = new Map(before.map((r) => [key(r), r.count]));
  let writes = 0;
  let conflicts = 0;
  const byKind: Record<string, number> = {};
  for (const r of after) {
    if (r.group !== 'teamtask.dev' || !WRITES.has(r.verb)) continue;
    const delta = r.count - (was.get(key(r)) ?? 0);
    if (delta <= 0) continue;
    writes += delta;
    if (r.code === '409') conflicts += delta;
    const kind = `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
    byKind[kind] = (byKind[kind] ?? 0) + delta;
  }
  return { writes, conflicts, byKind };
}

/** kube-apiserver's /metrics, read with the kubeconfig's credentials. */
export async function apiserverMetrics(kc: KubeConfig): Promise<string> {
  return readBody(await rawGet(kc, '/metrics'));
}
