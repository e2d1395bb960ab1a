/**
 * The worker's clock: every wait it makes, with why it is that long. docs/workers.md quotes
 * several of them; the API calls' own retries are src/kube/retry.ts's.
 */

/** Longest wait between reads of its own Block while it has no range (poll.ts backs off up to it). */
export const POLL_MAX_MS = 250;

/** How often a worker reads its Block while a range runs: a range taken back stops it within this. */
export const REPORT_EVERY_MS = 1000;

/**
 * The least time between two progress reports (writes) of one range: what a crash makes run
 * again is what finished since the last report, at most this much work; a range that ends
 * sooner costs no progress report at all, only its final one. A read is what tells a worker its
 * range was taken back (REPORT_EVERY_MS); a write is what renews its lease (a third of it).
 */
export const PROGRESS_EVERY_MS = 5000;

/**
 * The work a worker asks for in one range: its next range holds what its last one's pace runs in
 * this time (src/worker/worker.ts). Long enough that a range outlasts the claim of the range
 * after it (seconds, at p99, on a loaded control plane) and that a range costs few writes; short
 * enough that progress reports (PROGRESS_EVERY_MS) still come within a range, and that the last
 * ranges end together (what is left is stolen from a slow one after 2 s: src/ledger/steal.ts).
 */
export const RANGE_TARGET_MS = 5000;

/** The longest a Block's word that the range is ours is trusted before an item starts (and a quarter of the lease). */
export const CONFIRM_MAX_MS = 5000;

/** Before asking again when the Block could not be read (its API failing): not a busy loop. */
export const RECONFIRM_WAIT_MS = 200;

/** Between looks at a previous Block of the same name that is still being deleted: it goes within a moment. */
export const DELETING_BLOCK_WAIT_MS = 500;

/** Between reads after deleting the Block, until the controller let its finalizer go. */
export const GONE_POLL_MS = 250;

/**
 * How long the worker waits for its deleted Block to go before it exits anyway: the controller
 * folds the last report within a second when it runs; one that does not must not hold the pod.
 */
export const GONE_WAIT_MS = 10_000;

/** A ResourceQuota that refuses the Block: it frees up only when other objects go, so wait long, from 1 s to 10 s. */
export const QUOTA_BACKOFF_FIRST_MS = 1000;
export const QUOTA_BACKOFF_MAX_MS = 10_000;
