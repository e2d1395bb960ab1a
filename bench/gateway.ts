import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_NAMESPACE } from '../src/api/names.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { TokenStore } from '../src/gateway/token-store.js';
import { mintToken } from '../src/gateway/tokens.js';
import { GatewayBlockApi } from '../src/worker/gateway-api.js';
import { kubectlStdin } from '../test/support/kube.js';
import { range, worklistYaml } from '../test/support/objects.js';
import { Background } from '../test/support/processes.js';
import { InProcessWorker, RunCounts } from '../test/support/workers.js';
import { deleteWorklist, round, type BenchContext } from './context.js';

/**
 * Workers through the gateway (docs/gateway.md) against the same workers with a kubeconfig: the
 * same in-process worker runtime, items and counts; only the Block calls differ (HTTPS to a
 * `kubectl teamtask serve` process with its default limits, one token for the fleet, against
 * the API server directly). Counted from the gateway's /metrics: its requests and the API
 * server calls they cost, per block.
 */
export interface GatewayRun {
  system: 'teamtask' | 'teamtask-gateway';
  workers: number;
  items: number;
  blockSize: number;
  itemMs: number;
  seconds: number;
  itemsPerSecond: number;
  /** Through the gateway: requests answered per block of the Worklist, and API server calls per block. */
  requestsPerBlock?: number;
  apiCallsPerBlock?: number;
  /** Through the gateway: requests it refused with 429 (the fleet over its token's rate). */
  throttled?: number;
  notOnce: string[];
}

export interface GatewayPlan {
  workers: number[];
  /** Items per worker (blocks of `blockSize`, `itemMs` each). */
  itemsPerWorker: number;
  blockSize: number;
  itemMs: number;
}

/** The gateway's counters from its /metrics. */
async function gatewayCounts(
  url: string,
  ca: string,
): Promise<{ requests: number; throttled: number; apiCalls: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    request(new URL('/metrics', url), { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    requests: sum(/^teamtask_gateway_requests_total\{code="\d+"\} (\d+)$/gm),
    throttled: sum(/^teamtask_gateway_requests_total\{code="429"\} (\d+)$/gm),
    apiCalls: sum(/^teamtask_gateway_api_calls_total (\d+)$/gm),
  };
}

export async function runGateway(ctx: BenchContext, plan: GatewayPlan): Promise<GatewayRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'teamtask-bench-gateway-'));
  const caFile = join(dir, 'gateway.crt');
  const gateway = new Background(['serve', '--bind-address', '127.0.0.1:0', '--certificate-out', caFile]);
  const store = new TokenStore(ctx.kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE);
  const tokenName = `bench-${Math.random().toString(36).slice(2, 7)}`;
  const minted = mintToken(tokenName);
  try {
    const url = (await gateway.waitFor(/serving (https:\/\/\S+)/, 'the gateway to serve'))[1]!;
    const ca = readFileSync(caFile, 'utf8');
    const now = new Date();
    await store.add({
      name: tokenName,
      namespace: ctx.namespace,
      role: 'work',
      sha256: minted.sha256,
      created: now.toISOString(),
      expires: new Date(now.getTime() + 3600_000).toISOString(),
    });
    const runs: GatewayRun[] = [];
    for (const workers of plan.workers) {
      for (const system of ['teamtask', 'teamtask-gateway'] as const) {
        const name = `${system === 'teamtask' ? 'gwk' : 'gwg'}-${workers}`;
        const items = workers * plan.itemsPerWorker;
        const res = kubectlStdin(
          worklistYaml(name, { source: range(0, items - 1), blockSize: plan.blockSize }),
          'create',
          '-n',
          ctx.namespace,
        );
        if (res.status !== 0) throw new Error(`creating Worklist ${name}: ${res.stderr}`);
        const counts = new RunCounts(items);
        const before = system === 'teamtask-gateway' ? await gatewayCounts(url, ca) : undefined;
        const started = performance.now();
        const pool = Array.from({ length: workers }, (_, i) => {
          const block = `${name}-w${i}`;
          const api =
            system === 'teamtask-gateway'
              ? new GatewayBlockApi(
                  { server: url, token: minted.token, certificateAuthority: ca },
                  { namespace: ctx.namespace, worklist: name, identity: `bench/${block}`, splittable: true },
                )
              : undefined;
          return new InProcessWorker(ctx.namespace, name, block, counts.execute(plan.itemMs), { api });
        });
        await Promise.all(pool.map((p) => p.finished));
        const seconds = (performance.now() - started) / 1000;
        const blocks = items / plan.blockSize;
        const after = before ? await gatewayCounts(url, ca) : undefined;
        runs.push({
          system,
          workers,
          items,
          blockSize: plan.blockSize,
          itemMs: plan.itemMs,
          seconds: round(seconds, 2),
          itemsPerSecond: Math.round(items / seconds),
          ...(before && after
            ? {
                requestsPerBlock: round((after.requests - before.requests) / blocks, 2),
                apiCallsPerBlock: round((after.apiCalls - before.apiCalls) / blocks, 2),
                throttled: after.throttled - before.throttled,
              }
            : {}),
          notOnce: counts.notOnce(),
        });
        await deleteWorklist(ctx, name);
      }
    }
    return runs;
  } finally {
    await store.revoke(tokenName).catch(() => undefined);
    await gateway.stop();
  }
}
