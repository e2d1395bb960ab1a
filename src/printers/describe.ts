import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { effectiveSpec, itemsKey } from '../api/defaults.js';
import { JOB_COMPLETION_INDEX_ANNOTATION } from '../api/names.js';
import { ledgerOf, type Assignment } from '../ledger/ledger.js';
import { humanDuration } from './age.js';
import { newerReports } from './progress.js';
import { alignRows } from './table.js';

export interface DescribeInput {
  worklist: Worklist;
  blocks: readonly Block[];
  /** The Job `create` made, if any. */
  job?: V1Job;
  pods: readonly V1Pod[];
  events: readonly CoreV1Event[];
  now: Date;
}

/** `kubectl teamtask describe worklist NAME`, in kubectl describe's layout. */
export function describeWorklist(d: DescribeInput): string {
  const w = d.worklist;
  const s = w.status ?? {};
  const total = s.totalItems;
  const ledger = ledgerOf(w);
  const held = [...ledger.assignments.values()].sort((x, y) => x.index - y.index);
  // What each range's worker reported: the ledger's, or newer from its Block (partial progress
  // waits there until the controller folds it).
  const newer = newerReports(d.blocks);
  const reported = (a: Assignment) => {
    const r = newer(a);
    return a.reported.union(r.done).union(r.failed);
  };
  const inFlight = held.reduce((n, a) => n + a.size - reported(a).size, 0);
  // Reported but not yet in the ledger's counts: not to go any more.
  const unfolded = held.reduce((n, a) => n + reported(a).size - a.reported.size, 0);
  const out: string[] = [];
  const field = (key: string, value: string | number | undefined) =>
    out.push(`${`${key}:`.padEnd(16)}${value ?? '<none>'}`);
  const section = (title: string, rows: string[][], empty = '<none>') => {
    if (!rows.length) return field(title, empty);
    out.push(`${title}:`);
    for (const line of alignRows(rows).split('\n')) out.push(`  ${line}`.trimEnd());
  };

  field('Name', w.metadata.name);
  field('Namespace', w.metadata.namespace);
  field(
    'Created',
    w.metadata.creationTimestamp ? `${ago(w.metadata.creationTimestamp, d.now)} ago` : undefined,
  );
  field('Source', source(w));
  field('Block Size', w.spec.blockSize);
  field('Max Attempts', effectiveSpec(w.spec).maxAttempts);
  field('Lease', `${effectiveSpec(w.spec).leaseSeconds}s`);
  field('Suspended', String(w.spec.suspend ?? false));
  if (total !== undefined) {
    const done = (s.completedItems ?? 0) + (s.failedItems ?? 0);
    field(
      'Progress',
      `${s.completedItems ?? 0} completed, ${s.failedItems ?? 0} failed, ${inFlight} in flight, ${total - done - inFlight - unfolded} to go, of ${total}`,
    );
  } else field('Progress', 'not started (no controller has seen it yet)');
  field('Completed', s.completed || '<none>');
  field('Failed', s.failed || '<none>');
  field(
    'Retry Pool',
    (s.retry ?? [])
      .map((r) => `${r.ranges} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'} used)`)
      .join('; ') || '<none>',
  );
  const workerOf = new Map(d.blocks.map((b) => [b.metadata.name!, b.spec.worker ?? '']));
  const span = (a: { index: number; size: number }) =>
    a.size === 1 ? `${a.index}` : `${a.index}-${a.index + a.size - 1}`;
  section('Assignments', [
    ...(held.length ? [['BLOCK', 'RANGE', 'ATTEMPT', 'REPORTED', 'LEASE', 'NEXT', 'WORKER']] : []),
    ...held.map((a) => {
      const next = ledger.next.get(a.block);
      return [
        a.block,
        span(a),
        String(a.attempt),
        reported(a).toString() || '-',
        a.leaseExpires ? leaseLeft(a.leaseExpires, d.now) : '-',
        next ? span(next) : '-',
        workerOf.get(a.block) || '-',
      ];
    }),
  ]);
  section('Blocks', [
    ...(d.blocks.length ? [['NAME', 'STATUS', 'WORKER', 'MESSAGE']] : []),
    ...d.blocks.map((b) => [
      b.metadata.name!,
      b.status?.phase ?? 'Pending',
      b.spec.worker ?? '-',
      b.status?.message ?? '',
    ]),
  ]);
  if (d.job) {
    const j = d.job;
    field(
      'Job',
      `${j.metadata?.name}: ${j.status?.active ?? 0} active, ${j.status?.succeeded ?? 0} succeeded, ${j.status?.failed ?? 0} failed of ${j.spec?.completions ?? '?'}${j.spec?.suspend ? ' (suspended)' : ''}`,
    );
    section('Pods', [
      ...(d.pods.length ? [['NAME', 'PHASE', 'INDEX', 'AGE']] : []),
      ...d.pods.map((p) => [
        p.metadata?.name ?? '',
        p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
        p.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION] ?? '-',
        p.metadata?.creationTimestamp ? ago(p.metadata.creationTimestamp, d.now) : '-',
      ]),
    ]);
  } else field('Job', '<none> (workers run elsewhere)');
  section('Conditions', [
    ...((s.conditions ?? []).length ? [['TYPE', 'STATUS', 'REASON', 'MESSAGE']] : []),
    ...(s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
  ]);
  const events = [...d.events].sort((x, y) => eventTime(x) - eventTime(y));
  section('Events', [
    ...(events.length ? [['TYPE', 'REASON', 'AGE', 'MESSAGE']] : []),
    ...events.map((e) => [
      e.type ?? '',
      e.reason ?? '',
      eventTime(e) ? ago(new Date(eventTime(e)), d.now) : '-',
      e.message ?? '',
    ]),
  ]);
  return out.join('\n');
}

function source(w: Worklist): string {
  const src = w.spec.source;
  if (src.range) return `range ${src.range.start}-${src.range.end}`;
  if (src.inline) return `inline, ${src.inline.length} item${src.inline.length === 1 ? '' : 's'}`;
  if (src.worklist) {
    const parent = `${src.worklist.namespace ?? w.metadata.namespace}/${src.worklist.name}`;
    const { working, next } = w.status?.upstream ?? {};
    const ranges = [
      ...(working ? [`working on its range ${working.index}+${working.size}, token ${working.token}`] : []),
      ...(next ? [`started its next range ${next.index}+${next.size}, token ${next.token}`] : []),
    ];
    return `Worklist ${parent} (its items, at its offsets${ranges.map((r) => `; ${r}`).join('')})`;
  }
  return `ConfigMap ${src.configMap!.name}, key ${itemsKey(src.configMap)}`;
}

const ago = (t: Date | string, now: Date) => humanDuration(now.getTime() - new Date(t).getTime());

function leaseLeft(expires: number, now: Date): string {
  const ms = expires - now.getTime();
  return ms >= 0 ? `${humanDuration(ms)} left` : `expired ${humanDuration(-ms)} ago`;
}

const eventTime = (e: CoreV1Event) =>
  new Date(
    String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? 0),
  ).getTime();
