import { WorklistConditions, type Block, type Worklist } from '../api/v1alpha1/index.js';
import { isTrue } from '../api/conditions.js';
import { ledgerOf } from '../ledger/ledger.js';
import { RangeSet } from '../ledger/range-set.js';
import { SECONDARY_ANNOTATION, SECONDARY_ELSEWHERE_ANNOTATION } from '../api/names.js';
import { humanDuration } from './age.js';

/**
 * A secondary Worklist working on this one (docs/secondary.md), as its parent's `status` shows
 * it: what it holds of the parent, and, when it is in this cluster, its own progress.
 */
export interface SecondaryProgress {
  /** `namespace/name`. */
  name: string;
  /** In another cluster: only the parent's view of it is known. */
  elsewhere?: boolean;
  /** The parent's offsets it holds now, e.g. "1000-1999". */
  holds: string;
  /** Items of the parent it completed (its own ledger's count), when readable. */
  completed?: number;
  itemsPerSecond?: number;
  /** Until the range it holds is done, at its rate. */
  etaSeconds?: number;
  /** Ready (the parent's Block, and the secondary's own condition), or why not. */
  health: string;
}

/** Where a Worklist stands, as `kubectl teamtask status -o json` prints it. */
export interface Progress {
  name: string;
  total: number;
  completed: number;
  failed: number;
  /** Held by a worker and not yet reported. */
  inFlight: number;
  /** Neither done nor held: the retry pool and what was never handed out. */
  pending: number;
  percent: number;
  itemsPerSecond?: number;
  etaSeconds?: number;
  complete: boolean;
  /** The secondary Worklists working on it, if any. */
  secondaries?: SecondaryProgress[];
}

/** The item space by state, from the ledger and the Blocks' newer reports. */
export interface ItemStates {
  total: number;
  done: RangeSet;
  failed: RangeSet;
  running: RangeSet;
}

/**
 * What the worker holding an assignment reported since the ledger last folded it: its Block's
 * report, when it is on that very range (partial progress waits there until the controller
 * folds it at half the lease, and the final report on a range waits in the report that started
 * the next one until the controller's next pass).
 */
export function newerReports(blocks: readonly Block[]) {
  const reportOf = new Map(blocks.map((b) => [b.metadata.name!, b.spec.report]));
  return (a: { block: string; token: number }): { done: RangeSet; failed: RangeSet } => {
    const report = reportOf.get(a.block);
    // After a switch to its next range, the report on this one is the `finished` part.
    const r =
      report?.token === a.token ? report : report?.finished?.token === a.token ? report.finished : undefined;
    return r
      ? { done: RangeSet.parse(r.done ?? ''), failed: RangeSet.parse(r.failed ?? '') }
      : { done: RangeSet.EMPTY, failed: RangeSet.EMPTY };
  };
}

export function itemStates(w: Worklist, blocks: readonly Block[]): ItemStates {
  const s = w.status ?? {};
  let done = RangeSet.parse(s.completed ?? '');
  let failed = RangeSet.parse(s.failed ?? '');
  let running = RangeSet.EMPTY;
  const newer = newerReports(blocks);
  for (const a of ledgerOf(w).assignments.values()) {
    const held = RangeSet.span(a.index, a.index + a.size - 1);
    const r = newer(a);
    done = done.union(r.done.intersect(held));
    failed = failed.union(r.failed.intersect(held).subtract(done));
    running = running.union(held);
  }
  running = running.subtract(done).subtract(failed);
  return { total: s.totalItems ?? 0, done, failed, running };
}

/**
 * `rate` in items per second, measured by the caller; else the current rate, against the older
 * of the controller's rate samples (30 to 90 s back while items finish); else the average since
 * the start.
 */
export function progressOf(w: Worklist, states: ItemStates, now: Date, rate?: number): Progress {
  const { total } = states;
  const completed = states.done.size;
  const failed = states.failed.size;
  const inFlight = states.running.size;
  const finished = completed + failed;
  const since = (iso: string | undefined) => (iso ? (now.getTime() - Date.parse(iso)) / 1000 : 0);
  const sample = w.status?.rateSamples?.[0];
  const measured =
    sample && since(sample.time) > 0
      ? Math.max(0, finished - sample.finishedItems) / since(sample.time)
      : undefined;
  const elapsed = since(w.status?.startTime);
  const itemsPerSecond = rate ?? measured ?? (elapsed > 0 ? finished / elapsed : undefined);
  const left = total - finished;
  return {
    name: w.metadata.name!,
    total,
    completed,
    failed,
    inFlight,
    pending: Math.max(0, left - inFlight),
    percent: total ? Math.floor((finished / total) * 1000) / 10 : 0,
    itemsPerSecond: itemsPerSecond === undefined ? undefined : Math.round(itemsPerSecond * 10) / 10,
    etaSeconds: itemsPerSecond && left > 0 ? Math.ceil(left / itemsPerSecond) : left === 0 ? 0 : undefined,
    complete: isTrue(w.status?.conditions, WorklistConditions.Complete),
  };
}

export interface Style {
  color: boolean;
}

const paint = (style: Style, code: number, text: string) =>
  style.color && text ? `\x1b[${code}m${text}\x1b[0m` : text;

/** `[█████░░░░░] 52.0%`: completed green, failed red, in flight yellow. */
export function bar(p: Progress, width: number, style: Style): string {
  const cells = (n: number) => (p.total ? Math.round((n / p.total) * width) : 0);
  const done = cells(p.completed);
  const failed = Math.min(width - done, cells(p.failed));
  const running = Math.min(width - done - failed, cells(p.inFlight));
  const rest = width - done - failed - running;
  return `[${paint(style, 32, '█'.repeat(done))}${paint(style, 31, '█'.repeat(failed))}${paint(style, 33, '▒'.repeat(running))}${'░'.repeat(rest)}] ${p.percent.toFixed(1)}%`;
}

/**
 * The item space in `width` cells, each a slice of the offsets: ✗ if any failed, ▒ if any is
 * being worked on, █ if all are done, · otherwise.
 */
export function itemMap(s: ItemStates, width: number, style: Style): string {
  if (!s.total) return '';
  const cells = Math.min(width, s.total);
  let out = '';
  for (let i = 0; i < cells; i++) {
    const from = Math.floor((i * s.total) / cells);
    const to = Math.floor(((i + 1) * s.total) / cells) - 1;
    const slice = RangeSet.span(from, to);
    if (!s.failed.intersect(slice).isEmpty) out += paint(style, 31, '✗');
    else if (!s.running.intersect(slice).isEmpty) out += paint(style, 33, '▒');
    else if (s.done.intersect(slice).size === slice.size) out += paint(style, 32, '█');
    else out += '·';
  }
  return out;
}

/** One line a script or a log reads: `primes 52.0% completed=1040 failed=0 …`. */
export function progressLine(p: Progress): string {
  return [
    `${p.name} ${p.percent.toFixed(1)}%`,
    `completed=${p.completed}`,
    `failed=${p.failed}`,
    `inflight=${p.inFlight}`,
    `pending=${p.pending}`,
    `total=${p.total}`,
    `rate=${p.itemsPerSecond ?? '-'}/s`,
    `eta=${p.etaSeconds === undefined ? '-' : humanDuration(p.etaSeconds * 1000)}`,
    p.complete ? 'complete' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The words under the bar on a terminal. */
export function progressSummary(p: Progress): string {
  const rate = p.itemsPerSecond === undefined ? '' : ` · ${p.itemsPerSecond} items/s`;
  const eta = p.complete
    ? ' · complete'
    : p.etaSeconds === undefined
      ? ''
      : ` · ETA ${humanDuration(p.etaSeconds * 1000)}`;
  return `${p.completed}/${p.total} completed · ${p.failed} failed · ${p.inFlight} in flight · ${p.pending} pending${rate}${eta}`;
}

/** Who a parent's Block belongs to, when a secondary Worklist works through it. */
export function secondaryOf(b: Block): { name: string; elsewhere: boolean } | undefined {
  const here = b.metadata.annotations?.[SECONDARY_ANNOTATION];
  if (here) return { name: here, elsewhere: false };
  const there = b.metadata.annotations?.[SECONDARY_ELSEWHERE_ANNOTATION];
  return there ? { name: there, elsewhere: true } : undefined;
}

/**
 * A secondary as its parent's `status` shows it: from its Block in the parent's namespace (the
 * parent's word: what it holds, its phase), the parent's item states, and the secondary itself
 * when it could be read (undefined elsewhere, or gone): its count, rate and Ready condition.
 */
export function secondaryProgress(
  block: Block,
  parent: ItemStates,
  secondary: Worklist | undefined,
  now: Date,
): SecondaryProgress {
  const who = secondaryOf(block)!;
  const st = block.status;
  const held =
    st?.phase === 'Ready' && typeof st.index === 'number' && typeof st.size === 'number' && st.size > 0
      ? RangeSet.span(st.index, st.index + st.size - 1)
      : RangeSet.EMPTY;
  const own = secondary ? progressOf(secondary, itemStates(secondary, []), now) : undefined;
  const left = held.subtract(parent.done).subtract(parent.failed).size;
  const rate = own?.itemsPerSecond;
  const ready = secondary?.status?.conditions?.find((c) => c.type === WorklistConditions.Ready);
  const health =
    st?.phase !== 'Ready' && st?.phase !== 'Drained'
      ? (st?.phase ?? 'Pending')
      : ready && ready.status !== 'True'
        ? (ready.reason ?? 'NotReady')
        : secondary || who.elsewhere
          ? 'Ready'
          : 'NotFound';
  return {
    name: who.name,
    ...(who.elsewhere ? { elsewhere: true } : {}),
    holds: held.toString(),
    ...(own ? { completed: own.completed } : {}),
    ...(rate !== undefined ? { itemsPerSecond: rate } : {}),
    ...(held.isEmpty
      ? {}
      : rate
        ? { etaSeconds: Math.ceil(left / rate) }
        : left === 0
          ? { etaSeconds: 0 }
          : {}),
    health,
  };
}

/** One line per secondary under its parent's bar: `└ team-b/share 1000-1999 · 12345 completed · 800 items/s · ETA 2s · Ready`. */
export function secondaryLine(s: SecondaryProgress): string {
  return [
    `└ ${s.name}${s.elsewhere ? ' (another cluster)' : ''}`,
    s.holds ? `holds ${s.holds}` : 'holds nothing',
    s.completed !== undefined ? `${s.completed} completed` : '',
    s.itemsPerSecond !== undefined ? `${s.itemsPerSecond} items/s` : '',
    s.etaSeconds !== undefined ? `ETA ${humanDuration(s.etaSeconds * 1000)}` : '',
    s.health,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The same for a script or a log: `team-b/share holds=1000-1999 completed=12345 rate=800/s eta=2s health=Ready`. */
export function secondaryKeyValues(s: SecondaryProgress): string {
  return [
    `${s.name}${s.elsewhere ? ' elsewhere' : ''}`,
    `holds=${s.holds || '-'}`,
    s.completed !== undefined ? `completed=${s.completed}` : '',
    `rate=${s.itemsPerSecond ?? '-'}/s`,
    `eta=${s.etaSeconds === undefined ? '-' : humanDuration(s.etaSeconds * 1000)}`,
    `health=${s.health}`,
  ]
    .filter(Boolean)
    .join(' ');
}
