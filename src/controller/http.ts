import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HintedError } from '../kube/errors.js';
import type { Controller } from './controller.js';

/**
 * /healthz (the process answers), /readyz (`ready()`: see readiness()), /metrics. Resolves with the
 * bound address.
 */
export async function serveHealth(
  c: Controller,
  bind: string,
  ready: () => { ok: boolean; why: string } = () => ({ ok: c.ready, why: 'caches not synced' }),
): Promise<{ server: Server; address: string }> {
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new HintedError(`invalid address "${bind}"`, 'use host:port or :port, e.g. 127.0.0.1:8080');
  const host = m[1] === '' ? '0.0.0.0' : m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = m[2]!;
  const server = createServer((req, res) => {
    const reply = (code: number, body: string) =>
      res.writeHead(code, { 'content-type': 'text/plain' }).end(body);
    if (req.url === '/healthz') return reply(200, 'ok\n');
    if (req.url === '/readyz') {
      const r = ready();
      return r.ok ? reply(200, 'ok\n') : reply(503, `${r.why}\n`);
    }
    if (req.url === '/metrics') return reply(200, c.metrics.render());
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(Number(port), host, resolve),
  );
  const a = server.address() as AddressInfo;
  return { server, address: `${a.address}:${a.port}` };
}

/**
 * Ready, as controller-runtime's replicas are: the leader once its caches are synced, and a
 * standby while it reaches the API server (it is healthy and takes over when the leader goes).
 * A standby that is never Ready would hold every rollout of a two-replica Deployment.
 */
export function readiness(
  leading: boolean,
  synced: boolean,
  standbyReachesServer: boolean,
): { ok: boolean; why: string } {
  if (leading) return { ok: synced, why: 'caches not synced' };
  return { ok: standbyReachesServer, why: 'cannot reach the API server' };
}
