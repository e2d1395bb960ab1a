import { ApiException } from '@kubernetes/client-node';
import { explain, isTransient, isUnreachable } from './errors.js';

export interface RetryOptions {
  /** Give up after this long (default 5 min): the caller's lease is long gone by then. */
  deadlineMs?: number;
  /** Which errors to wait out (default: throttling, 5xx, a failed connection). */
  retryable?: (err: unknown) => boolean;
  /** The first wait, doubled after each failure up to `maxDelayMs` (default 250 ms to 10 s). */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** The log line for a failure about to be waited out (default: `what`, the error, the wait). */
  describe?: (err: unknown, waitMs: number) => string;
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
  const retryable = o.retryable ?? ((err: unknown) => isTransient(err) || isUnreachable(err));
  const describe =
    o.describe ??
    ((err: unknown, wait: number) => `${what}: ${explain(err).message}; retrying in ${wait} ms`);
  for (let delay = o.firstDelayMs ?? 250; ; delay = Math.min(delay * 2, o.maxDelayMs ?? 10_000)) {
    try {
      return await fn();
    } catch (err) {
      if (!retryable(err)) throw err;
      // The deadline holds for what is waited, a server's Retry-After included.
      const wait = Math.max(delay, retryAfterMs(err));
      if (now() + wait > deadline) throw err;
      o.log?.(describe(err, wait));
      await sleep(wait);
    }
  }
}

function retryAfterMs(err: unknown): number {
  // The gateway's answers carry it parsed (src/worker/gateway-api.ts).
  const parsed = (err as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  const header =
    err instanceof ApiException
      ? (err.headers as Record<string, string> | undefined)?.['retry-after']
      : parsed;
  const seconds = Number(header);
  return Number.isFinite(seconds) ? Math.min(seconds, 30) * 1000 : 0;
}
