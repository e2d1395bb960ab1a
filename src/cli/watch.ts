import type { KubernetesObject } from '@kubernetes/client-node';
import { HintedError } from '../kube/errors.js';

/** Waits `ms`, or less when the signal aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface KeepWatchingOptions {
  /** Stops the rounds: the one running finishes (or, for a watch, ends at once), none follows. */
  signal: AbortSignal;
  /** How long to wait between two rounds (0: start the next at once). */
  intervalMs: number;
  /** For tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The loop behind every `-w`: runs `round` again and again until a round says it is the last
 * (returns true), or the signal aborts; an error thrown by a round ends it with that error.
 * `status -w` polls with it (a round: read, print); `get -w` streams (a round: one watch request,
 * see watchChanges).
 */
export async function keepWatching(round: () => Promise<boolean>, o: KeepWatchingOptions): Promise<void> {
  const wait = o.sleep ?? sleep;
  for (;;) {
    if ((await round()) || o.signal.aborted) return;
    if (o.intervalMs > 0) await wait(o.intervalMs, o.signal);
    if (o.signal.aborted) return;
  }
}

/** The part of client-node's Watch a watch needs (a fake one in tests). */
export interface Watcher {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, obj: KubernetesObject) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface WatchChangesOptions {
  watcher: Watcher;
  /** The collection's API path (collectionPath). */
  path: string;
  /** labelSelector, fieldSelector, and the resourceVersion to start from. */
  query: Record<string, string | undefined>;
  /** Every object added, modified or deleted, in order. */
  onChange: (obj: KubernetesObject) => void;
  /** Ends the watch: the request in flight is aborted, and watchChanges resolves. */
  signal: AbortSignal;
}

/**
 * Streams every change of a collection until the signal aborts. A watch the server or the
 * client ends (client-node gives up on a quiet connection after 30 s) starts again from the last
 * resourceVersion seen, bookmarks keeping it fresh; a 410 (that version is gone) or another
 * error ends it, thrown.
 */
export async function watchChanges(o: WatchChangesOptions): Promise<void> {
  const query = Object.fromEntries(Object.entries(o.query).filter(([, v]) => v !== undefined));
  let resourceVersion = query.resourceVersion;
  // One round: one watch request, until it ends (false: start another) or the signal aborts (true).
  const round = () =>
    new Promise<boolean>((resolve, reject) => {
      let request: { abort(): void } | undefined;
      let settled = false;
      const settle = (end: () => void) => {
        if (settled) return;
        settled = true;
        o.signal.removeEventListener('abort', onAbort);
        request?.abort();
        end();
      };
      const onAbort = () => settle(() => resolve(true));
      if (o.signal.aborted) return resolve(true);
      o.signal.addEventListener('abort', onAbort, { once: true });
      o.watcher
        .watch(
          o.path,
          { ...query, resourceVersion, allowWatchBookmarks: true },
          (type: string, obj: KubernetesObject) => {
            if (settled) return;
            if (type === 'ERROR') return settle(() => reject(watchError(obj)));
            resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') o.onChange(obj);
          },
          (err: unknown) => {
            const name = err instanceof Error ? err.name : '';
            if (!err || name === 'AbortError' || name === 'TimeoutError') settle(() => resolve(false));
            else settle(() => reject(watchError(err)));
          },
        )
        .then(
          (r) => {
            request = r;
            if (settled) r.abort();
          },
          (err: unknown) => settle(() => reject(err)),
        );
    });
  await keepWatching(round, { signal: o.signal, intervalMs: 0 });
}

/** The error a watch ended with: a 410 (the resourceVersion is gone) as one line and a hint. */
function watchError(err: unknown): unknown {
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (e?.code === 410 || e?.statusCode === 410 || String(err).includes('410')) {
    return new HintedError('the watch fell too far behind (410 Gone)', 'run the command again');
  }
  if (err instanceof Error) return err;
  // An ERROR event carries a Status object.
  return new Error(typeof e?.message === 'string' ? e.message : `the watch failed: ${JSON.stringify(err)}`);
}
