import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HintedError } from '../kube/errors.js';
import type { Controller } from './controller.js';

/** /healthz (the process answers), /readyz (caches synced), /metrics. Resolves with the bound address. */
export async function serveHealth(c: Controller, bind: string): Promise<{ server: Server; address: string }> {
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new HintedError(`invalid address "${bind}"`, 'use host:port or :port, e.g. 127.0.0.1:8080');
  const host = m[1] === '' ? '0.0.0.0' : m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = m[2]!;
  const server = createServer((req, res) => {
    const reply = (code: number, body: string) =>
      res.writeHead(code, { 'content-type': 'text/plain' }).end(body);
    if (req.url === '/healthz') return reply(200, 'ok\n');
    if (req.url === '/readyz') return c.ready ? reply(200, 'ok\n') : reply(503, 'caches not synced\n');
    if (req.url === '/metrics') return reply(200, c.metrics.render());
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(Number(port), host, resolve),
  );
  const a = server.address() as AddressInfo;
  return { server, address: `${a.address}:${a.port}` };
}
