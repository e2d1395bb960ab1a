import type { BlockSpecReport, BlockSpecReportFinished, BlockStatus } from '../api/v1alpha1/index.js';
import { explain, isApiError } from '../kube/errors.js';
import { RangeSet } from '../ledger/range-set.js';
import { BlockGone, type BlockApi } from './block-client.js';
import type { Assignment } from './executors.js';
import { CONFIRM_MAX_MS, PROGRESS_EVERY_MS, RECONFIRM_WAIT_MS, REPORT_EVERY_MS } from './timing.js';

/** The longest failure reason a report carries: the CRD's maxLength for spec.report.message. */
const MAX_MESSAGE_CHARS = 512;

/** A range's progress as the executors see it: what they add to, and whether to go on. */
export interface Progress {
  done: RangeSet;
  failed: RangeSet;
  /** Why the last command failed, for the report. */
  lastFailure?: string;
  /** Aborted once the range is not this Block's any more. */
  readonly lost: AbortSignal;
  /**
   * Where the executors stop starting items (exclusive): past the range's end, or where this
   * worker yielded the rest of it to an idle worker. Read before each item starts.
   */
  readonly end: number;
  /** The first offset no executor has started: executors move it as they start items. */
  cursor: number;
  /**
   * Resolves true when the Block recently enough showed the range as ours to start an item,
   * false once it is lost; it asks the Block first when its word is old (or `signal` aborts).
   */
  stillOurs(signal: AbortSignal): Promise<boolean>;
}

/** A Block's status, and when it was read. */
export interface Seen {
  status: BlockStatus;
  at: number;
}

export interface HeartbeatOptions {
  /** The Worklist's lease: reports renew it, and it bounds how old news may be. */
  leaseMs: number;
  /** How often to read the Block (and report, when due). */
  everyMs?: number;
  /** The least time between two progress reports (default PROGRESS_EVERY_MS, at most a third of the lease). */
  progressEveryMs?: number;
  /**
   * The final report on the range this one follows, when the worker switched straight to it
   * (its Block's next range): carried by every report on this one, the first written at once
   * (once the controller folded it, a copy changes nothing).
   */
  finished?: BlockSpecReportFinished;
  /** The Block's status that showed this range, and when it was read (default: now). */
  seen?: Seen;
  /** How many items the worker asks for in its next range: carried by every report. */
  rangeSize?: number;
  log?: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The lease heartbeat of one range. Progress is reported when it changed and the last report is
 * PROGRESS_EVERY_MS old, and in any case every third of the lease (the controller folds it,
 * renewing the lease, by the time half the lease is gone): a write every few seconds at most,
 * never one per item. One report at a time, so an old one never lands after a newer one. Each
 * tick also reads the Block: the range neither its current nor its next one, a phase other than
 * Ready, the Block deleted or gone means the range is not ours any more (`lost`). The latest
 * status read (`seen`) tells the worker which range follows this one.
 */
export class Heartbeat implements Progress {
  done = RangeSet.EMPTY;
  failed = RangeSet.EMPTY;
  lastFailure?: string;
  end: number;
  cursor: number;
  /**
   * Its answer to the controller's ask to yield: it starts nothing from here on, nor the range
   * after this one. Carried by every report on the range once given.
   */
  yieldFrom?: number;
  /** An answer not written yet: it is written at once, an idle worker waits for it. */
  private answerDue = false;
  private readonly lostController = new AbortController();
  readonly lost = this.lostController.signal;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly renewEveryMs: number;
  private readonly progressEveryMs: number;
  /** No item starts on an older word than this (a worker paused past its lease asks first). */
  private readonly confirmFor: number;
  /** When the Block last showed the range as ours. */
  private confirmedAt: number;
  /** The Block's status when it last showed the range as ours (read at `seenAt`). */
  seen: BlockStatus | undefined;
  private reported: { done: string; failed: string; at: number };
  private inFlight: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;

  private readonly token: number;

  constructor(
    private readonly api: Pick<BlockApi, 'get' | 'writeReport'>,
    private readonly range: Pick<Assignment, 'index' | 'size' | 'token'>,
    private readonly o: HeartbeatOptions,
  ) {
    this.token = range.token;
    this.cursor = range.index;
    this.end = range.index + range.size;
    this.log = o.log ?? (() => {});
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.renewEveryMs = o.leaseMs / 3;
    this.progressEveryMs = Math.min(o.progressEveryMs ?? PROGRESS_EVERY_MS, this.renewEveryMs);
    this.confirmFor = Math.min(o.leaseMs / 4, CONFIRM_MAX_MS);
    this.confirmedAt = o.seen?.at ?? this.now();
    this.seen = o.seen?.status;
    this.answer(this.seen);
    // A switch is reported at once: the controller hands out the range after the next one
    // when it has folded it. A range of its own waits for its first progress report.
    this.reported = { done: '', failed: '', at: o.finished ? -Infinity : this.now() };
  }

  /** When the Block last showed the range as ours: how old `seen` is. */
  get seenAt(): number {
    return this.confirmedAt;
  }

  /** Ticks every `everyMs` until stop(); a switch's report, or an answer, goes out at once. */
  start(): void {
    if (this.o.finished || this.answerDue) void this.tick();
    this.ticker ??= setInterval(() => void this.tick(), this.o.everyMs ?? REPORT_EVERY_MS);
  }

  /** Stops ticking; resolves once the report in flight, if any, has landed (or failed). */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.ticker = undefined;
    await this.inFlight;
  }

  /** Writes the cumulative report now (the final one: `complete`, or `release`). */
  report(extra: Partial<BlockSpecReport> = {}): Promise<void> {
    return this.api.writeReport({
      token: this.token,
      done: this.done.toString(),
      failed: this.failed.toString(),
      ...(this.lastFailure && !this.failed.isEmpty
        ? { message: this.lastFailure.slice(0, MAX_MESSAGE_CHARS) }
        : {}),
      renewTime: new Date(this.now()).toISOString(),
      ...(this.o.finished ? { finished: this.o.finished } : {}),
      ...(this.o.rangeSize ? { rangeSize: this.o.rangeSize } : {}),
      ...(this.yieldFrom !== undefined ? { yieldFrom: this.yieldFrom } : {}),
      ...extra,
    });
  }

  /** Reads the Block now, after stop(): whether the range is still ours, and what follows it. Never rejects. */
  look(): Promise<void> {
    return this.read().catch((err: unknown) => this.log(`could not read the Block: ${explain(err).message}`));
  }

  /** One beat; while one is in flight, that one (never two at a time). Never rejects. */
  tick(): Promise<void> {
    return (this.inFlight ??= this.beat()
      .catch((err: unknown) => this.log(`progress report failed: ${explain(err).message}`))
      .finally(() => (this.inFlight = undefined)));
  }

  async stillOurs(signal: AbortSignal): Promise<boolean> {
    while (!this.lost.aborted && !signal.aborted && this.now() - this.confirmedAt > this.confirmFor) {
      const before = this.confirmedAt;
      await this.tick();
      if (this.confirmedAt === before) await this.sleep(RECONFIRM_WAIT_MS);
    }
    return !this.lost.aborted;
  }

  private async beat(): Promise<void> {
    const now = { done: this.done.toString(), failed: this.failed.toString(), at: this.now() };
    const changed = now.done !== this.reported.done || now.failed !== this.reported.failed;
    const age = now.at - this.reported.at;
    if ((changed && age >= this.progressEveryMs) || age >= this.renewEveryMs || this.answerDue) {
      if (!(await this.write(now))) return;
    }
    await this.read();
    if (this.answerDue && !this.lost.aborted) await this.write({ ...now, at: this.now() });
  }

  /** Writes the report; false when the Block is gone. */
  private async write(now: { done: string; failed: string; at: number }): Promise<boolean> {
    const answering = this.answerDue;
    try {
      await this.report();
      this.reported = now;
      if (answering) this.answerDue = false;
    } catch (err) {
      if (isApiError(err, 404)) {
        this.notOurs();
        return false;
      }
      // Still read the Block: a range taken back must stop this worker even while its
      // reports fail (its lease then runs out, and the Block shows it).
      this.log(`progress report failed: ${explain(err).message}`);
    }
    return true;
  }

  /**
   * The controller asks this range to yield (an idle worker waits and nothing else is left): the
   * worker promises to start nothing from the asked offset on, or from the first item it has not
   * started if that is later, nor the range after this one. Only then does the controller hand
   * those items out, so none runs twice.
   */
  private answer(s: BlockStatus | undefined): void {
    if (s?.token !== this.token || s.yieldFrom === undefined || this.yieldFrom !== undefined) return;
    this.yieldFrom = Math.min(Math.max(s.yieldFrom, this.cursor), this.range.index + this.range.size);
    this.end = Math.min(this.end, this.yieldFrom);
    this.answerDue = true;
    const last = this.range.index + this.range.size - 1;
    this.log(
      this.yieldFrom <= last
        ? `yielding offsets ${this.yieldFrom}-${last} of this range, and any range after it, to an idle worker`
        : 'yielding the range after this one to an idle worker',
    );
  }

  private async read(): Promise<void> {
    const asked = this.now();
    const b = await this.api.get().catch((err: unknown) => {
      if (err instanceof BlockGone) return undefined;
      throw err;
    });
    if (!b || b.metadata.deletionTimestamp || !holds(b.status, this.token)) return this.notOurs();
    this.confirmedAt = asked;
    this.seen = b.status;
    this.answer(b.status);
  }

  private notOurs(): void {
    this.lostController.abort();
  }
}

/** The Block's status gives the range of this token to its worker: its current range or its next one. */
export const holds = (s: BlockStatus | undefined, token: number): boolean =>
  s?.phase === 'Ready' && (s.token === token || s.next?.token === token);
