import { explain, HintedError } from '../kube/errors.js';

/** How to take back what was made when a later step fails. */
export interface Undo {
  /** Removes what was made. */
  run: () => Promise<unknown>;
  /** What is left behind when `run` fails, e.g. worklist.teamtask.dev/primes. */
  what: string;
  /** The command that removes it by hand. */
  command: string;
  /** The cluster, for the wording of a connection failure. */
  server?: string;
}

/**
 * Runs `work`; when it fails, undoes what was made and throws that failure. When the undoing
 * fails too, the failure thrown is still the first one (its message and hint, as the user would
 * have read them), with a hint that adds what was left behind, why, and how to remove it.
 */
export async function undoOnFailure<T>(work: () => Promise<T>, undo: Undo): Promise<T> {
  try {
    return await work();
  } catch (err) {
    try {
      await undo.run();
    } catch (cleanup) {
      throw undoFailed(err, cleanup, undo);
    }
    throw err;
  }
}

function undoFailed(err: unknown, cleanup: unknown, undo: Undo): HintedError {
  const first = explain(err, undo.server);
  const left = `${undo.what} was left behind (deleting it failed: ${explain(cleanup, undo.server).message}); delete it with: ${undo.command}`;
  const error = new HintedError(first.message, first.hint ? `${first.hint}; ${left}` : left);
  error.cause = err;
  return error;
}
