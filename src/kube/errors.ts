import { ApiException } from '@kubernetes/client-node';

/** An error whose message is already meant for the user, with what to do about it. */
export class HintedError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error reduced to what a user needs: one line, and what to do about it. */
export interface Explained {
  message: string;
  hint?: string;
}

interface StatusBody {
  reason?: string;
  message?: string;
}

/** The API server's Status object from an ApiException; its body is raw text, not parsed. */
export function apiStatus(err: ApiException<unknown>): StatusBody | undefined {
  const body = err.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) return body as StatusBody;
  try {
    return JSON.parse(String(body)) as StatusBody;
  } catch {
    return undefined;
  }
}

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** Errors worth retrying: throttling, and the server being briefly unable to serve (5xx). */
export function isTransient(err: unknown): boolean {
  return err instanceof ApiException && (err.code === 429 || err.code >= 500);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  // undici's own: a server that accepts no connection in time (a stopped API server, a
  // partition), or closes one mid-request.
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function networkCode(err: unknown): string | undefined {
  // undici wraps the socket error: `fetch failed` with the real one as `cause`.
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    // A request aborted by its own deadline (AbortSignal.timeout): the server never answered.
    if ((e as { name?: unknown }).name === 'TimeoutError') return 'no answer in time';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** The connection to the API server failed (refused, reset, unreachable), as opposed to an answer. */
export const isUnreachable = (err: unknown): boolean => networkCode(err) !== undefined;

/** Turns any error from a command into one line and a hint. `server` names the cluster tried. */
export function explain(err: unknown, server?: string): Explained {
  if (err instanceof HintedError) return { message: err.message, hint: err.hint };
  if (err instanceof ApiException) {
    const status = apiStatus(err);
    const message = status?.message ?? `the API server answered HTTP ${err.code}`;
    switch (err.code) {
      case 401:
        return {
          message: `unauthorized: ${message}`,
          hint: 'your credentials were refused; check the kubeconfig user',
        };
      case 403:
        if (message.includes('because it is being terminated')) {
          return { message, hint: 'the namespace is being deleted: wait until it is gone, then try again' };
        }
        return { message: `forbidden: ${message}`, hint: 'ask a cluster admin for a Role that allows this' };
      case 404:
        return { message: `not found: ${message}`, hint: 'check the name and the namespace (-n)' };
      default:
        return { message };
    }
  }
  const code = networkCode(err);
  // undici's fetch fails with `TypeError: fetch failed`; the reason is in its cause.
  const fetchFailure = err instanceof TypeError && err.message === 'fetch failed';
  if (code || fetchFailure) {
    const reason = code ?? ((err as { cause?: Error }).cause?.message || 'fetch failed');
    return {
      message: `cannot reach the cluster${server ? ` at ${server}` : ''} (${reason})`,
      hint: 'check --kubeconfig and --context; for a local control plane run: npm run cluster:up',
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
