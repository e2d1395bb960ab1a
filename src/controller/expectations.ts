import type { Block, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import type { ReportSeen } from './reconcile.js';
import { sameJson } from './same-json.js';

/**
 * What this controller wrote and has not yet seen in its caches, like the Job controller's
 * ControllerExpectations: a plan from a cache older than our own last write could hand the Blocks
 * stale ranges (their writes carry no precondition), and a write already made need not be made
 * again.
 */
export class WriteExpectations {
  /**
   * Per Worklist key: what our last ledger write returned, and every resourceVersion our writes
   * replaced since the cache last caught up (passes that plan from a write's answer write again
   * before the watch brings the first one: R0 → W1 → W2 while the cache still shows R0).
   */
  private readonly ledgers = new Map<string, { behind: Set<string>; written: Worklist }>();
  /** Per Block UID: the status we last wrote, and the resourceVersion the Block had before it. */
  private readonly blockStatuses = new Map<string, { over: string; status: BlockStatus }>();

  /** We replaced the ledger of a Worklist at resourceVersion `over`; the server returned `written`. */
  wroteLedger(key: string, over: string, written: Worklist): void {
    const last = this.ledgers.get(key);
    const behind = last?.written.metadata.resourceVersion === over ? last.behind : new Set<string>();
    behind.add(over);
    this.ledgers.set(key, { behind, written });
  }

  /**
   * The Worklist to plan from: the cached one, or, while the cache still shows it as it was
   * before any of our writes since it last caught up, what the last write returned (newer, and
   * the server's own answer), so no pass waits for its own watch event. Its resourceVersion is
   * the next write's precondition: a change by anyone else since makes that write fail with 409,
   * as a stale cache would. Never a version older than our last write: a plan from it could
   * hand the Blocks stale statuses, which carry no precondition.
   */
  current(key: string, cached: Worklist): Worklist {
    const last = this.ledgers.get(key);
    if (last?.behind.has(cached.metadata.resourceVersion!)) return last.written;
    this.ledgers.delete(key);
    return cached;
  }

  wroteBlockStatus(block: Block, status: BlockStatus): void {
    this.blockStatuses.set(block.metadata.uid!, { over: block.metadata.resourceVersion!, status });
  }

  /**
   * True when this status was written already and the cache still shows the Block as it was
   * before that write: the same status again is not written twice.
   */
  alreadyWritten(block: Block, status: BlockStatus): boolean {
    const last = this.blockStatuses.get(block.metadata.uid!);
    return !!last && last.over === block.metadata.resourceVersion && sameJson(last.status, status);
  }

  forgetWorklist(key: string): void {
    this.ledgers.delete(key);
  }

  forgetBlock(uid: string): void {
    this.blockStatuses.delete(uid);
  }
}

/** The reports of one pass worth telling of: each stale or malformed report once. */
export interface Judged {
  /** Reports for a range their Block no longer holds, seen in a new Block generation. */
  readonly stale: readonly ReportSeen[];
  /** Malformed reports not told of before (one Event per Block generation). */
  readonly refused: readonly ReportSeen[];
}

/**
 * A report stays in its Block's spec and is seen on every pass: this remembers, per Block UID,
 * which generation was judged, so a stale one counts once and a malformed one is told of once.
 */
export class ReportMarks {
  private readonly judged = new Map<string, number>();
  private readonly refused = new Map<string, number>();

  /**
   * A stale report counts when its Block's generation is new to us. A Block seen for the first
   * time (after a restart, say) only sets the mark: its report may have been folded long ago.
   * Nor does a Block being deleted count: the API server raises the generation of an object
   * with finalizers when it is deleted, and its report is then the one already judged (every
   * worker's Block, at its exit, would otherwise count as a stale report). Its malformed report
   * is told of unless told of at the generation judged last (one written just before the
   * delete was not).
   */
  judge(reports: readonly ReportSeen[], blocks: readonly Block[]): Judged {
    const byName = new Map(blocks.map((b) => [b.metadata.name!, b]));
    const stale: ReportSeen[] = [];
    const refused: ReportSeen[] = [];
    for (const r of reports) {
      const block = byName.get(r.block)!;
      const id = block.metadata.uid!;
      const deleting = block.metadata.deletionTimestamp !== undefined;
      const judged = this.judged.get(id);
      if (r.outcome === 'stale' && !deleting && judged !== undefined && judged !== r.generation)
        stale.push(r);
      // Being deleted, its generation is the delete's: told if told at the one judged last.
      const told = this.refused.get(id) === (deleting ? judged : r.generation);
      if (r.outcome === 'malformed' && !told) {
        this.refused.set(id, r.generation);
        refused.push(r);
      }
    }
    for (const b of blocks) this.judged.set(b.metadata.uid!, b.metadata.generation ?? 0);
    return { stale, refused };
  }

  forgetBlock(uid: string): void {
    this.judged.delete(uid);
    this.refused.delete(uid);
  }
}

/**
 * The Blocks this controller wrote in another Worklist's namespace (a secondary's Block in its
 * parent's), by UID: the write's answer, until the cache holds that version or a newer one. A
 * pass reads its own last report upward from here, so it does not write it again.
 */
export class NewestBlocks {
  private readonly written = new Map<string, Block>();

  wrote(block: Block): void {
    this.written.set(block.metadata.uid!, block);
  }

  /** The cached Block, or our own newer write of it. */
  current(cached: Block): Block {
    const ours = this.written.get(cached.metadata.uid!);
    if (ours && (ours.metadata.generation ?? 0) > (cached.metadata.generation ?? 0)) return ours;
    this.written.delete(cached.metadata.uid!);
    return cached;
  }

  forgetBlock(uid: string): void {
    this.written.delete(uid);
  }
}
