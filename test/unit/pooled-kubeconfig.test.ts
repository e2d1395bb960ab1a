import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/gateway/tls.js';
import { PooledKubeConfig } from '../../src/kube/pooled-kubeconfig.js';
import { TeamtaskClient } from '../../src/kube/teamtask-client.js';

/**
 * A TLS server on loopback that answers every request with an empty Worklist list, and counts
 * the handshakes made with it.
 */
let server: Server;
let handshakes = 0;
let caData = '';
let port = 0;

beforeAll(async () => {
  const tls = selfSignedCertificate(['127.0.0.1']);
  caData = Buffer.from(tls.cert).toString('base64');
  server = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify({ apiVersion: 'teamtask.dev/v1alpha1', kind: 'WorklistList', metadata: {}, items: [] }),
    );
  });
  server.on('secureConnection', () => handshakes++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** Two token users of one cluster, and the same server under another cluster entry whose CA is `ca`. */
function load(kc: KubeConfig, ca = caData): KubeConfig {
  kc.loadFromOptions({
    clusters: [
      { name: 'here', server: `https://127.0.0.1:${port}`, caData, skipTLSVerify: false },
      { name: 'here-again', server: `https://127.0.0.1:${port}`, caData: ca, skipTLSVerify: false },
    ],
    users: [
      { name: 'alice', token: 'a' },
      { name: 'bob', token: 'b' },
    ],
    contexts: [
      { name: 'alice', cluster: 'here', user: 'alice' },
      { name: 'bob', cluster: 'here', user: 'bob' },
      { name: 'other-ca', cluster: 'here-again', user: 'alice' },
    ],
    currentContext: 'alice',
  });
  return kc;
}

/** Handshakes made by `calls` sequential lists through `kc`. */
async function handshakesOf(kc: KubeConfig, calls: number): Promise<number> {
  const before = handshakes;
  const client = new TeamtaskClient(kc);
  for (let i = 0; i < calls; i++) await client.worklists('default').list();
  return handshakes - before;
}

describe('PooledKubeConfig: connections to the API server', () => {
  // undici may open a second connection for a request that follows a response at once (the first
  // is not yet back in its pool): two, then, however many requests follow.
  it('makes a TLS handshake or two for many sequential requests, not one each', async () => {
    expect(await handshakesOf(load(new PooledKubeConfig()), 20)).toBeLessThanOrEqual(2);
  });

  it("(why it exists: client-node's own KubeConfig makes a handshake per request)", async () => {
    expect(await handshakesOf(load(new KubeConfig()), 5)).toBe(5);
  });

  it('keeps one pool for users that differ only by token, a header', async () => {
    const kc = load(new PooledKubeConfig());
    expect(await handshakesOf(kc, 3)).toBeGreaterThan(0);
    kc.setCurrentContext('bob');
    expect(await handshakesOf(kc, 3)).toBe(0);
  });

  it('makes a new pool when what the handshake presents changes (another CA, another context)', async () => {
    const other = Buffer.from(Buffer.from(caData, 'base64').toString() + '\n').toString('base64');
    const kc = load(new PooledKubeConfig(), other);
    expect(await handshakesOf(kc, 3)).toBeGreaterThan(0);
    kc.setCurrentContext('other-ca');
    expect(await handshakesOf(kc, 3)).toBeGreaterThan(0);
    kc.setCurrentContext('alice');
    expect(await handshakesOf(kc, 3)).toBe(0);
  });

  it('speaks HTTP/1.1 to a server that offers HTTP/2: an aborted request then takes its connection with it', async () => {
    const tls = selfSignedCertificate(['127.0.0.1']);
    const versions: string[] = [];
    const h2 = createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, (req, res) => {
      versions.push(req.httpVersion);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"items":[]}');
    });
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    const at = (kc: KubeConfig) => {
      kc.loadFromOptions({
        clusters: [
          {
            name: 'h2',
            server: `https://127.0.0.1:${(h2.address() as AddressInfo).port}`,
            caData: Buffer.from(tls.cert).toString('base64'),
            skipTLSVerify: false,
          },
        ],
        users: [{ name: 'alice', token: 'a' }],
        contexts: [{ name: 'h2', cluster: 'h2', user: 'alice' }],
        currentContext: 'h2',
      });
      return new TeamtaskClient(kc);
    };
    try {
      await at(new KubeConfig()).worklists('default').list();
      await at(new PooledKubeConfig()).worklists('default').list();
      expect(versions).toEqual(['2.0', '1.1']);
    } finally {
      h2.close();
    }
  });
});
