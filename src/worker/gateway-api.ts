import { request, type RequestOptions } from 'node:https';
import type { Block, BlockSpecReport, Worklist, WorklistSpecSource } from '../api/v1alpha1/index.js';
import { gatewayPaths, type GatewayError, type GatewayTarget } from '../api/gateway.js';

export type { GatewayTarget } from '../api/gateway.js';
import { HintedError } from '../kube/errors.js';
import { retrying } from '../kube/retry.js';
import { BlockGone, type BlockApi } from './block-client.js';
import { GONE_POLL_MS, GONE_WAIT_MS, QUOTA_BACKOFF_FIRST_MS, QUOTA_BACKOFF_MAX_MS } from './timing.js';

/** An answer of the gateway other than 2xx: its status and its one line and hint. */
export class GatewayAnswer extends HintedError {
  constructor(
    readonly status: number,
    body: Partial<GatewayError>,
    readonly retryAfterSeconds?: number,
  ) {
    super(body.message ?? `the gateway answered HTTP ${status}`, body.hint ?? 'see the gateway log');
  }
}

/** One JSON request to the gateway; a non-2xx answer throws GatewayAnswer. */
export async function gatewayRequest<T>(
  g: GatewayTarget,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const url = new URL(path, g.server);
  if (url.protocol !== 'https:') {
    throw new HintedError(
      `the gateway's address must be https://, not ${url.protocol}//`,
      'pass --server https://HOST:PORT',
    );
  }
  const text = body === undefined ? undefined : JSON.stringify(body);
  const options: RequestOptions = {
    method,
    headers: {
      authorization: `Bearer ${g.token}`,
      accept: 'application/json',
      ...(text !== undefined
        ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
        : {}),
    },
    ...(g.certificateAuthority ? { ca: g.certificateAuthority } : {}),
    rejectUnauthorized: !g.insecureSkipTlsVerify,
    signal: signal ?? AbortSignal.timeout(60_000),
  };
  return new Promise<T>((resolve, reject) => {
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = raw ? JSON.parse(raw) : undefined;
        } catch {
          parsed = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(parsed as T);
        const retryAfter = Number(res.headers['retry-after']);
        reject(
          new GatewayAnswer(
            status,
            (parsed ?? {}) as GatewayError,
            Number.isFinite(retryAfter) ? retryAfter : undefined,
          ),
        );
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Waited out, as a kubeconfig worker waits out the API server's: throttling, 5xx, a connection that failed. */
export function retryableAnswer(err: unknown): boolean {
  if (err instanceof GatewayAnswer) return err.status === 429 || err.status >= 500;
  const code = (err as { code?: unknown }).code;
  return (
    (typeof code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) ||
    (err as { name?: unknown }).name === 'TimeoutError'
  );
}

/**
 * The worker runtime's Block calls through the gateway instead of the API server (`work
 * --server`): the same claim loop, reports, switches and heartbeat, with no kubeconfig. The
 * gateway checks the token, the Block's owner and the fencing token; a report it refuses as
 * stale (409) is dropped, as the controller would drop it: the next read of the Block tells the
 * worker its range is gone.
 */
export class GatewayBlockApi implements BlockApi {
  private block = '';
  private readonly paths: ReturnType<typeof gatewayPaths>;
  private readonly log: (line: string) => void;

  constructor(
    private readonly g: GatewayTarget,
    private readonly o: {
      namespace: string;
      worklist: string;
      identity: string;
      splittable?: boolean;
      log?: (line: string) => void;
    },
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {
    this.paths = gatewayPaths(o.namespace, o.worklist);
    this.log = o.log ?? (() => {});
  }

  get name(): string {
    return this.block;
  }

  readWorklist(): Promise<Worklist> {
    return this.call('read the Worklist', 'GET', this.paths.worklist);
  }

  readItems(): Promise<{ source: WorklistSpecSource; lines?: string[] }> {
    return this.call('read the items', 'GET', this.paths.items);
  }

  async create(_worklist: Worklist, signal: AbortSignal): Promise<void> {
    // A ResourceQuota that refuses the Block (429 from the gateway) is waited out until stopped.
    const made = await retrying(
      'create the Block',
      () =>
        gatewayRequest<{ block: string }>(this.g, 'POST', this.paths.blocks, {
          // The gateway takes a name of printable characters: a user name with spaces is not one.
          worker: this.o.identity.replace(/[^\x21-\x7e]+/g, '-').slice(0, 100) || 'worker',
          splittable: !!this.o.splittable,
        }),
      {
        retryable: (err) => retryableAnswer(err) && !signal.aborted,
        firstDelayMs: QUOTA_BACKOFF_FIRST_MS,
        maxDelayMs: QUOTA_BACKOFF_MAX_MS,
        deadlineMs: Infinity,
        log: this.log,
        sleep: this.sleep,
      },
    );
    this.block = made.block;
  }

  async get(): Promise<Block> {
    try {
      return await this.call('read the Block', 'GET', this.paths.block(this.block));
    } catch (err) {
      if (err instanceof GatewayAnswer && err.status === 404)
        throw new BlockGone(this.block, this.o.worklist, this.o.namespace);
      throw err;
    }
  }

  async writeReport(report: BlockSpecReport): Promise<void> {
    try {
      await this.call('report on the Block', 'PUT', this.paths.report(this.block), report);
    } catch (err) {
      if (err instanceof GatewayAnswer && err.status === 409) {
        this.log(`the gateway refused a report: ${err.message}`);
        return;
      }
      throw err;
    }
  }

  patch(): Promise<void> {
    // Only BlockClient's takeover of a Block of the same name patches: through the gateway a
    // worker always makes a new Block.
    return Promise.reject(new Error('a Block is not patched through the gateway'));
  }

  async delete(): Promise<void> {
    if (!this.block) return;
    try {
      await this.call('delete the Block', 'DELETE', this.paths.block(this.block));
    } catch (err) {
      if (!(err instanceof GatewayAnswer && err.status === 404))
        this.log(`could not delete block ${this.block}: ${(err as Error).message}`);
      return;
    }
    // As BlockClient.delete: gone once the controller folded its last report.
    for (let waited = 0; waited < GONE_WAIT_MS; waited += GONE_POLL_MS) {
      try {
        await this.get();
      } catch {
        return;
      }
      await this.sleep(GONE_POLL_MS);
    }
    this.log(
      `block ${this.block} is still there after ${GONE_WAIT_MS / 1000} s (is the controller running?); exiting anyway`,
    );
  }

  async goneReason(): Promise<HintedError> {
    try {
      await gatewayRequest(this.g, 'GET', this.paths.worklist);
    } catch (err) {
      if (err instanceof GatewayAnswer && err.status === 404) {
        return new HintedError(
          `Worklist ${this.o.worklist} was deleted, and this worker's Block with it`,
          'nothing to do: the work was called off',
        );
      }
    }
    return new HintedError(
      `Block ${this.block} was deleted while this worker used it: it stopped, and what it had not reported went back to the pool`,
      `run the worker again to rejoin Worklist ${this.o.worklist}`,
    );
  }

  private call<T>(what: string, method: string, path: string, body?: unknown): Promise<T> {
    return retrying(what, () => gatewayRequest<T>(this.g, method, path, body), {
      retryable: retryableAnswer,
      log: this.log,
      sleep: this.sleep,
    });
  }
}
