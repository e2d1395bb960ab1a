import type { BlockSpecReportFinished, BlockStatus } from '../api/v1alpha1/index.js';
import type { Assignment } from './executors.js';

/** What to start next, from what the Block's status says and what this worker ran. */
export interface Claim {
  readonly range: Assignment;
  /** Set on a switch: the final report on the range just finished, which the new range's reports carry. */
  readonly finished?: BlockSpecReportFinished;
}

/**
 * The range to start now, or none (wait and read the Block again). A range of the Block's status
 * this worker has not started yet; else, right after it finished the Block's current range, the
 * Block's next range: the switch, which needs no pass of the controller. A next range is never
 * started behind a range this worker has not finished, and a range never twice (`started`: the
 * tokens it ran, which the status may still show while the controller has not caught up).
 */
export function claim(
  status: BlockStatus | undefined,
  started: { has(token: number): boolean },
  /** The final report on the range this worker finished last (every item of it done or failed). */
  finished: BlockSpecReportFinished | undefined,
): Claim | undefined {
  if (status?.phase !== 'Ready' || status.token === undefined) return undefined;
  if (!started.has(status.token)) {
    return {
      range: {
        index: Number(status.index),
        size: Number(status.size),
        token: status.token,
        attempt: status.attempt ?? 1,
      },
    };
  }
  const next = status.next;
  if (!next || !finished || !followed(status, finished.token) || started.has(next.token)) return undefined;
  return {
    range: { index: next.index, size: next.size, token: next.token, attempt: next.attempt ?? 1 },
    finished,
  };
}

/**
 * The status shows this range as the Block's current one, and a next range behind it that its
 * worker may start: not while the controller asks it to yield (the next range goes to another).
 */
export const followed = (s: BlockStatus | undefined, token: number): boolean =>
  s?.phase === 'Ready' && s.token === token && s.next !== undefined && s.yieldFrom === undefined;

/** The tokens a worker remembers having started: a status lags a pass or two behind at most. */
export class StartedTokens {
  private readonly tokens = new Set<number>();
  constructor(private readonly keep = 16) {}

  add(token: number): void {
    this.tokens.add(token);
    if (this.tokens.size > this.keep) this.tokens.delete(this.tokens.values().next().value!);
  }

  has(token: number): boolean {
    return this.tokens.has(token);
  }
}
