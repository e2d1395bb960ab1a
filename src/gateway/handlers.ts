import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Block, BlockSpecReport, BlockStatus, Worklist } from '../api/v1alpha1/index.js';
import type { ClaimAnswer, ClaimedRange } from '../api/gateway.js';
import { GATEWAY_TOKEN_LABEL } from '../api/names.js';
import { itemAt } from '../api/source.js';
import { apiStatus, explain, HintedError, isApiError } from '../kube/errors.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { RangeSet, RangeSyntaxError } from '../ledger/range-set.js';
import {
  BlockClient,
  blockBody,
  isQuotaRefusal,
  ItemsOutOfScope,
  type ItemsScope,
} from '../worker/block-client.js';
import { pollDelay } from '../worker/poll.js';
import { itemStates, progressOf, type Progress } from '../printers/progress.js';
import { POLL_MAX_MS } from '../worker/timing.js';
import { checkReport, type CompleteBody } from './bodies.js';
import type { Target } from './routes.js';

/** How long a read of items (a ConfigMap, a parent Worklist) is retried within one request. */
const ITEMS_RETRY_MS = 10_000;

/** How often a fenced write is tried when the controller moves the Block on under it. */
const FENCE_ATTEMPTS = 5;

/** A request the gateway answers with an error: its status, one line, a hint, and headers. */
export class GatewayFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Who asks: a proven token's name, for one Worklist (the route's). */
export interface Caller extends Target {
  token: string;
  /**
   * For a Kubernetes identity: may it read this ConfigMap of the namespace (SubjectAccessReview)?
   * Items are read with the gateway's own credential, never beyond what the caller could read.
   */
  mayReadConfigMap?: (name: string) => Promise<boolean>;
}

/**
 * What the gateway does for its callers, all of it through the Worklist and the caller's own
 * Blocks, as a worker with a kubeconfig would: the ledger, leases and fencing stay the
 * controller's. A caller reaches only Blocks of its route's Worklist made with its token.
 * `onApiCall` counts the API server's calls (the gateway's metrics).
 */
export class GatewayHandlers {
  private readonly client: Pick<TeamtaskClient, 'worklists' | 'blocks'>;

  /** `client` replaces the cluster's typed client (tests pass a fake). */
  constructor(
    private readonly kc: KubeConfig,
    private readonly onApiCall: () => void = () => {},
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    client?: Pick<TeamtaskClient, 'worklists' | 'blocks'>,
  ) {
    this.client = client ?? new TeamtaskClient(kc);
  }

  /** The Worklist, its spec and status (what `status` shows), without its managed fields. */
  async worklist(c: Target): Promise<Worklist> {
    const w = await this.readWorklist(c);
    const { name, namespace, uid, generation, resourceVersion, creationTimestamp } = w.metadata;
    return {
      ...w,
      metadata: { name, namespace, uid, generation, resourceVersion, creationTimestamp },
    };
  }

  /** Its progress as `status` shows it: counts, percent, items/s and ETA (from the ledger). */
  async progress(c: Target): Promise<Progress> {
    const w = await this.readWorklist(c);
    return progressOf(w, itemStates(w, []), new Date());
  }

  /** Where the Worklist's items are: its source, and the lines of a ConfigMap (or parent's) source. */
  async items(c: Caller): Promise<{ source: Worklist['spec']['source']; lines?: string[] }> {
    const w = await this.readWorklist(c);
    return this.api(() => this.reader(c).readItems(w, itemsScope(c)));
  }

  /** A new Block for the caller (a name the API server makes), labelled with its token. */
  async createBlock(c: Caller, body: { worker: string; splittable: boolean }): Promise<{ block: string }> {
    const w = await this.readWorklist(c);
    const created = await this.api(() =>
      this.client.blocks(c.namespace).create(
        blockBody(
          {
            worklist: c.worklist,
            blockPrefix: `${c.worklist}-gw-`,
            identity: identity(body.worker, c.token),
            splittable: body.splittable,
            labels: { [GATEWAY_TOKEN_LABEL]: c.token },
          },
          w,
        ),
      ),
    );
    return { block: created.metadata.name! };
  }

  /** The caller's Block: its spec (the report), its status (the ranges), whether it is going. */
  async block(c: Caller, name: string): Promise<Block> {
    const b = await this.ownBlock(c, name);
    const { resourceVersion, deletionTimestamp, generation } = b.metadata;
    return {
      ...b,
      metadata: { name, namespace: c.namespace, resourceVersion, deletionTimestamp, generation },
    };
  }

  /**
   * Writes the caller's report, fenced: its token must be the Block's current range's or next
   * range's (409 otherwise), and the write tests the same token in the object it changes, so
   * that a pass of the controller between the read and the write cannot slip a stale report in.
   */
  async report(c: Caller, name: string, report: BlockSpecReport): Promise<{ written: true }> {
    const b = await this.ownBlock(c, name);
    await this.writeFenced(c, b, report);
    return { written: true };
  }

  /** Deletes the caller's Block: its range goes back (the controller folds its last report first). */
  async deleteBlock(c: Caller, name: string): Promise<{ deleted: true }> {
    await this.ownBlock(c, name);
    await this.api(() => this.client.blocks(c.namespace).delete(name));
    return { deleted: true };
  }

  /**
   * The one-call claim of a shell loop: the caller's Block for `worker` (made on first use), and
   * the range it holds that was not reported complete, with its items; waits for one up to
   * `waitSeconds`. It never switches to a next range by itself: a `complete` is folded by the
   * controller, which then makes the next range current (one pass later than the runtime).
   */
  async claim(c: Caller, worker: string, waitSeconds: number, signal: AbortSignal): Promise<ClaimAnswer> {
    const w = await this.readWorklist(c);
    const name = claimBlockName(c, worker);
    const deadline = Date.now() + waitSeconds * 1000;
    let b = await this.claimBlock(c, w, name, worker);
    for (let polls = 0; ; polls++) {
      const status = b.status;
      if (status?.phase === 'Drained') return { block: name, finished: true };
      if (
        status?.phase === 'Lost' &&
        status.observedGeneration === b.metadata.generation &&
        !b.metadata.deletionTimestamp
      ) {
        // Its lease ran out while the caller was away, and the controller has seen all there is:
        // a sign of life is what brings a Lost Block back (as the runtime writes it). The old
        // token makes it a report on nothing. Fenced by the generation: a report written since
        // the read (a sign of life already) is not overwritten.
        const alive = { token: status.token ?? 0, renewTime: new Date().toISOString() };
        b = await this.api(() =>
          this.client.blocks(c.namespace).patch(name, [
            { op: 'test', path: '/metadata/generation', value: b.metadata.generation },
            { op: 'add', path: '/spec/report', value: alive },
          ]),
        ).catch(async (err: unknown) => {
          if (err instanceof GatewayFailure && err.status === 422) return this.ownBlock(c, name);
          throw err;
        });
      }
      const open = openRange(status, b.spec.report);
      if (open) {
        const { source, lines } = await this.api(() => this.reader(c).readItems(w, itemsScope(c)));
        const items = Array.from({ length: open.size }, (_, i) => itemAt(source, open.index + i, lines));
        const range: ClaimedRange = { block: name, ...open, items };
        return { block: name, range, finished: false };
      }
      const wait = pollDelay(polls, POLL_MAX_MS * 4);
      if (signal.aborted || Date.now() + wait > deadline) return { block: name, finished: false };
      await this.sleep(wait);
      b = await this.ownBlock(c, name);
      if (b.metadata.deletionTimestamp) throw blockGoing(name);
    }
  }

  /** Ends a claimed range: `done` (default: all of it but `failed`) and `failed`, fenced by its token. */
  async complete(c: Caller, body: CompleteBody): Promise<{ written: true }> {
    const b = await this.ownBlock(c, body.block);
    const status = b.status;
    // Only a Ready Block's range is its worker's to end (a Lost one's shows no numbers).
    if (
      status?.phase !== 'Ready' ||
      status.token !== body.token ||
      !Number.isSafeInteger(Number(status.index)) ||
      !Number.isSafeInteger(Number(status.size))
    )
      throw stale(body.block, body.token);
    const index = Number(status.index);
    const whole = RangeSet.span(index, index + Number(status.size) - 1);
    let failed: RangeSet;
    let done: RangeSet;
    try {
      failed = RangeSet.parse(body.failed ?? '');
      done = body.done === undefined ? whole.subtract(failed) : RangeSet.parse(body.done);
    } catch (err) {
      if (err instanceof RangeSyntaxError)
        throw new GatewayFailure(400, err.message, 'write offsets like 0-9,12');
      throw err;
    }
    if (!done.union(failed).subtract(whole).isEmpty) {
      throw new GatewayFailure(
        400,
        `done and failed must be offsets of the range ${whole.toString()}`,
        'report the offsets claim returned (index … index+size-1)',
      );
    }
    const report = checkReport({
      token: body.token,
      done: done.toString(),
      failed: failed.toString(),
      complete: true,
      renewTime: new Date().toISOString(),
      ...(body.message ? { message: body.message } : {}),
    });
    await this.writeFenced(c, b, report);
    return { written: true };
  }

  /**
   * Writes `report` into the Block, fenced by its token. The token is tested where the Block last
   * read holds it; when the controller moved the Block on between that read and the write (the
   * test fails), the Block is read again and the token judged afresh: a next range that just
   * became current is still this worker's, and only a token the Block holds nowhere is stale.
   */
  private async writeFenced(c: Caller, read: Block, report: BlockSpecReport): Promise<void> {
    const name = read.metadata.name!;
    let b = read;
    for (let attempt = 1; ; attempt++) {
      const path = fencePath(b.status, report.token);
      if (!path) throw stale(name, report.token);
      try {
        await this.api(() =>
          this.client
            .blocks(c.namespace)
            .patch(name, [
              ...(path === 'none' ? [] : [{ op: 'test' as const, path, value: report.token }]),
              { op: 'add', path: '/spec/report', value: report },
            ]),
        );
        return;
      } catch (err) {
        if (!(err instanceof GatewayFailure) || err.status !== 422 || path === 'none') throw err;
        // A controller that rewrites the status faster than we can write is not waited out.
        if (attempt >= FENCE_ATTEMPTS) throw stale(name, report.token);
        b = await this.ownBlock(c, name);
        // The token still where it was tested: the API server refused the report itself.
        const still = path === '/status/token' ? b.status?.token : b.status?.next?.token;
        if (still === report.token)
          throw new GatewayFailure(
            400,
            `the API server refused the report: ${err.message}`,
            'send a report as docs/api.md describes spec.report',
          );
      }
    }
  }

  private async claimBlock(c: Caller, w: Worklist, name: string, worker: string): Promise<Block> {
    try {
      return await this.ownBlock(c, name);
    } catch (err) {
      if (!(err instanceof GatewayFailure) || err.status !== 404) throw err;
    }
    const body = blockBody(
      {
        worklist: c.worklist,
        block: name,
        identity: identity(worker, c.token),
        labels: { [GATEWAY_TOKEN_LABEL]: c.token },
      },
      w,
    );
    try {
      return await this.api(() => this.client.blocks(c.namespace).create(body));
    } catch (err) {
      // Two claims of one worker at once: the other made it.
      if (err instanceof GatewayFailure && err.status === 409) return this.ownBlock(c, name);
      throw err;
    }
  }

  /** A Block of the caller's: of the route's Worklist and made with the caller's token (else 403). */
  private async ownBlock(c: Caller, name: string): Promise<Block> {
    const b = await this.api(() => this.client.blocks(c.namespace).get(name), `Block ${name}`);
    if (b.spec.worklist !== c.worklist || b.metadata.labels?.[GATEWAY_TOKEN_LABEL] !== c.token) {
      throw new GatewayFailure(
        403,
        `Block ${name} is not one of token ${c.token}'s on Worklist ${c.worklist}`,
        'use the Block your claim or POST .../blocks returned',
      );
    }
    return b;
  }

  private async readWorklist(c: Target): Promise<Worklist> {
    return this.api(() => this.client.worklists(c.namespace).get(c.worklist), `Worklist ${c.worklist}`);
  }

  private reader(c: Target): BlockClient {
    return BlockClient.forCluster(this.kc, {
      namespace: c.namespace,
      worklist: c.worklist,
      identity: 'gateway',
      // A caller waits on the answer, and retries itself: not minutes of retries in a request.
      retryForMs: ITEMS_RETRY_MS,
    });
  }

  /** One API call (counted), its errors as the gateway answers them. */
  private async api<T>(call: () => Promise<T>, what?: string): Promise<T> {
    this.onApiCall();
    try {
      return await call();
    } catch (err) {
      throw failureOf(err, what);
    }
  }
}

/** The range a claim hands out: the Block's current one, unless its report already ended it. */
export function openRange(
  status: BlockStatus | undefined,
  report: BlockSpecReport | undefined,
): Omit<ClaimedRange, 'block' | 'items'> | undefined {
  if (status?.phase !== 'Ready' || status.token === undefined || status.yieldFrom !== undefined)
    return undefined;
  if (report?.token === status.token && (report.complete || report.release)) return undefined;
  return {
    token: status.token,
    index: Number(status.index),
    size: Number(status.size),
    attempt: status.attempt ?? 1,
  };
}

/**
 * Where in the Block a report's token must still be when it is written: the current range's, or
 * the next one's (a worker that switched); `none` for a worker that was never given a range and
 * says only that it lives (token 0); undefined when the token is neither (stale).
 */
export function fencePath(status: BlockStatus | undefined, token: number): string | 'none' | undefined {
  if (status?.token !== undefined && status.token === token) return '/status/token';
  if (status?.next?.token === token) return '/status/next/token';
  if (status?.token === undefined && token === 0) return 'none';
  return undefined;
}

/** The Block a `claim` of `worker` uses: one per token and worker name, so a loop that restarts finds it again. */
export const claimBlockName = (c: Caller, worker: string) =>
  `${c.worklist.slice(0, 200)}-gw-${createHash('sha256').update(`${c.token}/${worker}`).digest('hex').slice(0, 10)}`;

const identity = (worker: string, token: string) => `${worker} (gateway token ${token})`.slice(0, 253);

const stale = (block: string, token: number) =>
  new GatewayFailure(
    409,
    `token ${token} is not a range of Block ${block} any more (stale fencing token)`,
    'read the Block (or claim again) for the range it holds now; what was not reported goes to another worker',
  );

const blockGoing = (block: string) =>
  new GatewayFailure(409, `Block ${block} is being deleted`, 'claim again in a moment: a new Block is made');

/**
 * Whose items the gateway reads for a caller: those of its route's namespace only (a parent
 * elsewhere is read with credentials of its own), a ConfigMap only if a Kubernetes caller may.
 */
const itemsScope = (c: Caller): ItemsScope => ({
  namespace: c.namespace,
  ...(c.mayReadConfigMap ? { mayReadConfigMap: c.mayReadConfigMap } : {}),
});

/** An API server's answer as the gateway's: its status where it means the same to the caller. */
function failureOf(err: unknown, what?: string): unknown {
  if (err instanceof GatewayFailure) return err;
  if (err instanceof ItemsOutOfScope) return new GatewayFailure(403, err.message, err.hint);
  // Items that are nowhere (a parent deleted, a loop of parents): the Worklist's state, not the gateway's.
  if (err instanceof HintedError) return new GatewayFailure(409, err.message, err.hint);
  if (isApiError(err, 404) && what) {
    return new GatewayFailure(404, `${what} not found`, 'check the name and the namespace in the path');
  }
  if (isQuotaRefusal(err)) {
    return new GatewayFailure(
      429,
      `a ResourceQuota refuses the Block: ${apiStatus(err as never)?.message ?? ''}`.trim(),
      'retry later, when other Blocks of the namespace are gone',
      { 'retry-after': '5' },
    );
  }
  for (const code of [409, 422]) {
    if (isApiError(err, code)) return new GatewayFailure(code, explain(err).message, 'read again and retry');
  }
  if (isApiError(err, 429))
    return new GatewayFailure(429, 'the API server is busy', 'retry later', { 'retry-after': '1' });
  return new GatewayFailure(
    502,
    `the API server: ${explain(err).message}`,
    'retry later; if it lasts, tell the cluster admin',
  );
}
