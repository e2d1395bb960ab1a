import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { MAX_BODY_BYTES, MAX_WAIT_SECONDS, TOKEN_PREFIX, type GatewayError } from '../api/gateway.js';
import { explain } from '../kube/errors.js';
import { TokenBucket } from '../kube/token-bucket.js';
import { BadBody, checkClaim, checkComplete, checkNewBlock, checkReport } from './bodies.js';
import { GatewayFailure, GatewayHandlers, type Caller } from './handlers.js';
import {
  attributesFor,
  configMapAttributes,
  kubeCallerName,
  policyRefusal,
  type KubeAuth,
} from './kube-auth.js';
import { OPENAPI } from './openapi.js';
import { ROLE_NEEDED, route, type Route, type Target } from './routes.js';
import { authenticate, authorize, parseToken, type TokenRecord } from './tokens.js';

/** The gateway's limits (`serve`'s flags; docs/gateway.md says why each is what it is). */
export interface GatewayLimits {
  /** Requests a second per token, and how many it may save up. */
  rate: number;
  burst: number;
  /** Claims a token may have waiting at once. */
  claimsPerToken: number;
  /** Connections open at once; more are closed at once. */
  connections: number;
}

/**
 * A token is usually a fleet's: a worker makes about two requests a second (a read of its Block
 * each second while it works, reports, polls while it waits), so 200 a second let some hundred
 * workers share one (measured: 16 workers on 50 a second were throttled, docs/gateway.md).
 */
export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  rate: 200,
  burst: 400,
  claimsPerToken: 100,
  connections: 1000,
};

/**
 * TokenReviews a second, for all callers together: each Kubernetes token the gateway has not seen
 * costs the API server one, so a flood of made-up ones is bounded here (429) rather than there.
 */
const REVIEWS_PER_SECOND = 20;

export interface GatewayOptions {
  kc: KubeConfig;
  tls: { cert: string; key: string };
  /** The token record of a name, from a read recent enough (TokenCache.lookup). */
  lookup: (name: string) => Promise<TokenRecord | undefined>;
  limits?: Partial<GatewayLimits>;
  /** Kubernetes bearer tokens too (TokenReview, SubjectAccessReview); absent: only the gateway's own. */
  kubeAuth?: KubeAuth;
  log?: (line: string) => void;
  now?: () => Date;
}

/**
 * The wrapped API (docs/gateway.md): HTTPS only, every route but /openapi.json, /healthz and
 * /metrics behind a bearer token scoped to one Worklist or namespace, each token rate-limited.
 * Its only state is the API server's (the Worklists and the callers' Blocks), so a gateway
 * killed at any moment and started again loses nothing.
 */
export class Gateway {
  private readonly handlers: GatewayHandlers;
  private readonly limits: GatewayLimits;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly claiming = new Map<string, number>();
  private readonly counts = { apiCalls: 0, requests: new Map<number, number>() };
  private readonly stopping = new AbortController();
  private readonly reviews = new TokenBucket(REVIEWS_PER_SECOND, 2 * REVIEWS_PER_SECOND, Date.now());
  private server?: Server;

  constructor(private readonly o: GatewayOptions) {
    this.limits = { ...DEFAULT_GATEWAY_LIMITS, ...o.limits };
    this.handlers = new GatewayHandlers(o.kc, () => this.counts.apiCalls++);
  }

  /** Listens on `host:port` (port 0: any free one); resolves with the address bound. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, (req, res) => {
      void this.serve(req, res);
    });
    server.maxConnections = this.limits.connections;
    // A long poll outlasts Node's default request timeout of 300 s never; keep-alive is short.
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 500;
    try {
      // The caller hung up (the response closed before it was sent): a waiting claim stops.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const answer = await this.answer(req, gone.signal);
      status = answer.status;
      send(res, answer.status, answer.body, answer.headers);
    } catch (err) {
      const f =
        err instanceof GatewayFailure
          ? err
          : err instanceof BadBody
            ? new GatewayFailure(400, err.message, err.hint)
            : new GatewayFailure(500, 'the gateway failed', 'retry; if it lasts, see the gateway log');
      if (f.status === 500) this.o.log?.(`internal error on ${req.method} ${req.url}: ${String(err)}`);
      status = f.status;
      const body: GatewayError = { message: f.message, hint: f.hint };
      send(res, f.status, body, f.headers);
    } finally {
      this.counts.requests.set(status, (this.counts.requests.get(status) ?? 0) + 1);
    }
  }

  private async answer(
    req: IncomingMessage,
    gone: AbortSignal,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const r = route(req.method ?? 'GET', req.url ?? '/');
    if ('status' in r) throw new GatewayFailure(r.status, r.message, r.hint);
    if (!('namespace' in r)) {
      if (r.kind === 'metrics')
        return { status: 200, body: this.metrics(), headers: { 'content-type': 'text/plain' } };
      return { status: 200, body: r.kind === 'openapi' ? OPENAPI : { ok: true } };
    }
    const caller = await this.authenticate(req, r);
    return { status: r.kind === 'blocks' ? 201 : 200, body: await this.dispatch(req, r, caller, gone) };
  }

  /** 401 without a valid token; 429 past its rate; 403 when it may not do this here. */
  private async authenticate(req: IncomingMessage, r: Route & Target): Promise<Caller> {
    const header = req.headers.authorization;
    const bearer = /^Bearer\s+(\S+)/i.exec(header ?? '')?.[1];
    if (bearer && !bearer.startsWith(TOKEN_PREFIX) && this.o.kubeAuth) return this.kubeCaller(bearer, r);
    const parts = bearer ? parseToken(bearer) : undefined;
    const record = parts ? await asked(() => this.o.lookup(parts.name)) : undefined;
    const auth = authenticate(header, () => record, (this.o.now ?? (() => new Date()))());
    if (!auth.ok) {
      const why = {
        missing: 'no token: send Authorization: Bearer TOKEN',
        malformed: 'the Authorization header is not a Teamtask token',
        unknown: 'the token is not valid (never made, revoked, or mistyped)',
        expired: 'the token has expired',
      }[auth.why];
      throw new GatewayFailure(
        401,
        why,
        "get a token from the Worklist's owner: kubectl teamtask token create",
        {
          'www-authenticate': 'Bearer realm="teamtask"',
        },
      );
    }
    const name = auth.record.name;
    this.spend(this.bucket(name), `token ${name} is over its rate of ${this.limits.rate} requests a second`);
    const refused = authorize(auth.record, r, ROLE_NEEDED[r.kind]!);
    if (refused)
      throw new GatewayFailure(
        403,
        refused,
        'use a token made for this Worklist (kubectl teamtask token create --worklist)',
      );
    return { token: name, namespace: r.namespace, worklist: r.worklist };
  }

  /** A Kubernetes token: who (TokenReview: 401 when not accepted), its rate, may it (SubjectAccessReview: 403). */
  private async kubeCaller(bearer: string, r: Route & Target): Promise<Caller> {
    const auth = this.o.kubeAuth!;
    // Only a token not seen lately costs a review; those are bounded for all callers together.
    const user = await asked(() =>
      auth.user(bearer, () => this.spend(this.reviews, 'too many new Kubernetes tokens to check at once')),
    );
    if (!user?.username) {
      throw new GatewayFailure(
        401,
        'the token is not valid: neither a gateway token nor one the API server accepts (TokenReview)',
        "use a gateway token (kubectl teamtask token create) or a ServiceAccount's (kubectl create token)",
        { 'www-authenticate': 'Bearer realm="teamtask"' },
      );
    }
    const name = kubeCallerName(user);
    this.spend(
      this.bucket(name),
      `${user.username} is over the rate of ${this.limits.rate} requests a second`,
    );
    const needs = ROLE_NEEDED[r.kind]!;
    const hint =
      "ask for a Role that allows it, e.g. the one kubectl teamtask create makes for the Worklist's workers";
    const policy = policyRefusal(user.username, r, needs);
    if (policy) throw new GatewayFailure(403, policy, "use the identity of that Worklist's workers");
    const refused = await asked(() => auth.refused(user, attributesFor(r, needs)));
    if (refused) {
      throw new GatewayFailure(
        403,
        `${user.username} may not ${refused.verb} ${refused.resource}${refused.name ? `/${refused.name}` : ''} in namespace ${refused.namespace} (SubjectAccessReview)`,
        hint,
      );
    }
    return {
      token: name,
      namespace: r.namespace,
      worklist: r.worklist,
      mayReadConfigMap: (configMap) => asked(() => auth.may(user, configMapAttributes(r, configMap))),
    };
  }

  /** Takes one request from `bucket`, or answers 429 with when to try again. */
  private spend(bucket: TokenBucket, why: string): void {
    const now = Date.now();
    if (bucket.available(now) < 1) {
      throw new GatewayFailure(429, why, 'slow down: retry after the time Retry-After says', {
        'retry-after': String(Math.max(1, Math.ceil(bucket.waitMs(now) / 1000))),
      });
    }
    bucket.take(1, now);
  }

  private async dispatch(req: IncomingMessage, r: Route, c: Caller, gone: AbortSignal): Promise<unknown> {
    const h = this.handlers;
    switch (r.kind) {
      case 'worklist':
        return h.worklist(c);
      case 'progress':
        return h.progress(c);
      case 'items':
        return h.items(c);
      case 'blocks':
        return h.createBlock(c, checkNewBlock(await readJson(req)));
      case 'block':
        return req.method === 'DELETE' ? h.deleteBlock(c, r.block) : h.block(c, r.block);
      case 'report':
        return h.report(c, r.block, checkReport(await readJson(req)));
      case 'complete':
        return h.complete(c, checkComplete(await readJson(req)));
      case 'claim': {
        const body = checkClaim(await readJson(req));
        const waiting = this.claiming.get(c.token) ?? 0;
        if (waiting >= this.limits.claimsPerToken) {
          throw new GatewayFailure(
            429,
            `token ${c.token} has ${waiting} claims waiting already`,
            'wait for one to answer before the next',
            { 'retry-after': '1' },
          );
        }
        this.claiming.set(c.token, waiting + 1);
        try {
          const wait = Math.min(body.waitSeconds ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS);
          return await h.claim(c, body.worker, wait, AbortSignal.any([gone, this.stopping.signal]));
        } finally {
          const left = (this.claiming.get(c.token) ?? 1) - 1;
          if (left > 0) this.claiming.set(c.token, left);
          else this.claiming.delete(c.token);
        }
      }
      default:
        throw new GatewayFailure(404, 'no such route', 'see /openapi.json');
    }
  }

  private bucket(token: string): TokenBucket {
    let b = this.buckets.get(token);
    if (!b) this.buckets.set(token, (b = new TokenBucket(this.limits.rate, this.limits.burst, Date.now())));
    return b;
  }

  /** Prometheus text: requests by status, and the API server calls they cost. */
  private metrics(): string {
    const lines = [
      '# HELP teamtask_gateway_requests_total Requests answered, by HTTP status.',
      '# TYPE teamtask_gateway_requests_total counter',
      ...[...this.counts.requests]
        .sort(([a], [b]) => a - b)
        .map(([code, n]) => `teamtask_gateway_requests_total{code="${code}"} ${n}`),
      '# HELP teamtask_gateway_api_calls_total Calls the gateway made to the API server.',
      '# TYPE teamtask_gateway_api_calls_total counter',
      `teamtask_gateway_api_calls_total ${this.counts.apiCalls}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

/** A review the API server could not answer is the gateway's 502, not a refusal. */
async function asked<T>(review: () => Promise<T>): Promise<T> {
  try {
    return await review();
  } catch (err) {
    if (err instanceof GatewayFailure) throw err;
    throw new GatewayFailure(
      502,
      `the API server could not check the token: ${explain(err).message}`,
      'retry later',
    );
  }
}

/** The request's JSON body: 413 past MAX_BODY_BYTES (read no further), 400 when it is not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new GatewayFailure(
      400,
      'the body is not JSON',
      'send a JSON object with content-type application/json',
    );
  }
}

const tooLarge = () =>
  new GatewayFailure(
    413,
    `the body is larger than ${MAX_BODY_BYTES} bytes`,
    'send less: a report needs a few hundred bytes',
    {
      connection: 'close',
    },
  );

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}
