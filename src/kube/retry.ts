import { ApiException } from '@kubernetes/client-node';
import { explain, isTransient, isUnreachable } from './errors.js';

export interface RetryOptions {
  /** Give up after this long (default 5 min): the caller's lease is long gone by then. */
  deadlineMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Calls `fn` until it succeeds or fails for good. Like client-go's rest client, throttling (429,
 * with its Retry-After), a server briefly unable to serve (5xx) and a connection that failed
 * are retried, with exponential backoff from 250 ms to 10 s; other errors are thrown at once.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (o.deadlineMs ?? 300_000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!(isTransient(err) || isUnreachable(err)) || now() + delay > deadline) throw err;
      const wait = Math.max(delay, retryAfterMs(err));
      o.log?.(`${what}: ${explain(err).message}; retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
}

function retryAfterMs(err: unknown): number {
  if (!(err instanceof ApiException)) return 0;
  const header = (err.headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = Number(header);
  return Number.isFinite(seconds) ? Math.min(seconds, 30) * 1000 : 0;
}
