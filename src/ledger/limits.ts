/**
 * The bounds that keep a Worklist and its Blocks small whatever the workers report. The CRDs
 * (crds/) carry the same numbers as schema limits; src/ledger/limits.test.ts checks they agree.
 */

/** Ranges a worker may put in one report's done, or its failed: it cuts its range short first. */
export const MAX_REPORT_RANGES = 100;

/** The longest range string of MAX_REPORT_RANGES ranges, each "9007199254740991-9007199254740991". */
export const MAX_REPORT_CHARS = 4096;

/** A range string as the API server accepts it: "0-4,7,9-10", or empty. */
export const RANGES_PATTERN = '^([0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*)?$';

/**
 * Separate ranges of failed items a Worklist records. Past it (a command failing on scattered
 * items, say every other one) the Worklist stops with condition Failed, as a Job does past
 * maxFailedIndexes: its status stays small (see docs/ledger.md for the bound) and
 * `kubectl teamtask retry --failed` starts it again.
 */
export const MAX_FAILED_RANGES = 1000;

/**
 * A Block of a worker outside a pod (a laptop's) that has been Lost this long, or is still there
 * this long after its Worklist finished, belongs to a worker that is gone: it is deleted. A live
 * worker writes when Lost, and exits within a poll when Drained.
 */
export const ABANDONED_BLOCK_MS = 10 * 60_000;
