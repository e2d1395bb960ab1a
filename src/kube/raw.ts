import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A GET on the API server with the kubeconfig's credentials, for what the generated clients do
 * not stream well (a followed log, /metrics). Resolves with the response once it is 200, its
 * body unread; otherwise rejects with the Status message the server sent.
 */
export async function rawGet(kc: KubeConfig, pathAndQuery: string): Promise<IncomingMessage> {
  const server = new URL(kc.getCurrentCluster()!.server);
  const opts: RequestOptions = {
    method: 'GET',
    protocol: server.protocol,
    hostname: server.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: server.port || undefined,
    path: `${server.pathname.replace(/\/$/, '')}${pathAndQuery}`,
    headers: {},
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = (server.protocol === 'http:' ? httpRequest : httpsRequest)(opts, (res) => {
      res.setEncoding('utf8');
      if (res.statusCode === 200) return resolve(res);
      let body = '';
      res.on('data', (d: string) => (body += d));
      res.on('end', () => reject(new Error(statusMessage(body) ?? `HTTP ${res.statusCode}`)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A response body read whole. */
export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.on('data', (d: string) => (body += d));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}

function statusMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body.trim() || undefined;
  }
}
