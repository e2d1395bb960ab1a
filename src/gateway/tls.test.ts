import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from './tls.js';

/** Connects to a TLS server on loopback trusting `ca` for `servername`; resolves with the error, if any. */
async function handshake(cert: { cert: string; key: string }, ca: string, servername: string) {
  const server = createServer({ cert: cert.cert, key: cert.key }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Error | undefined>((resolve) => {
      const host = servername === '127.0.0.1' ? {} : { servername };
      const s: TLSSocket = connect({ host: '127.0.0.1', port, ca, ...host }, () => {
        s.end();
        resolve(undefined);
      });
      s.once('error', resolve);
    });
  } finally {
    server.close();
  }
}

describe('selfSignedCertificate', () => {
  const now = new Date('2026-12-04T00:00:00Z');
  const made = selfSignedCertificate(['localhost', '127.0.0.1', '::1', 'gw.example'], now, 30);
  const x = new X509Certificate(made.cert);

  it('is signed by its own key (the one returned), a CA, for the hosts given, valid from now for the days given', () => {
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(true);
    expect(x.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:gw.example',
    );
    expect(new Date(x.validFrom).toISOString()).toBe('2026-12-04T00:00:00.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2027-01-03T00:00:00.000Z');
    expect(x.checkPrivateKey(createPrivateKey(made.key))).toBe(true);
  });

  it('uses GeneralizedTime for dates from 2050 on', () => {
    const late = new X509Certificate(
      selfSignedCertificate(['localhost'], new Date('2049-12-01T00:00:00Z'), 60).cert,
    );
    expect(new Date(late.validTo).toISOString()).toBe('2050-01-30T00:00:00.000Z');
  });

  it.each([
    { name: 'a serial with leading zero bytes', serial: '0000007f01' },
    { name: 'a serial of a zero byte before a set top bit', serial: '00ff' },
    { name: 'a serial with its top bit set', serial: 'ff00000000000000' },
    { name: 'a serial of zero', serial: '0000' },
  ])('is read by OpenSSL with $name, which it writes in its minimal form', ({ serial }) => {
    const cert = new X509Certificate(
      selfSignedCertificate(['localhost'], now, 30, Buffer.from(serial, 'hex')).cert,
    );
    expect(cert.serialNumber.replace(/^0+(?=.)/, '')).toBe(BigInt(`0x${serial}`).toString(16).toUpperCase());
  });

  it.each([
    {
      name: 'a client that names it as its CA completes the handshake (by IP)',
      servername: '127.0.0.1',
      trusts: 'itself',
      ok: true,
    },
    {
      name: 'a client that names it as its CA completes the handshake (by name)',
      servername: 'localhost',
      trusts: 'itself',
      ok: true,
    },
    {
      name: 'a host it was not made for is refused',
      servername: 'other.example',
      trusts: 'itself',
      ok: false,
    },
    {
      name: 'a client that trusts another certificate refuses it',
      servername: 'localhost',
      trusts: 'another',
      ok: false,
    },
  ])('$name', async ({ servername, trusts, ok }) => {
    const ca = trusts === 'itself' ? made.cert : selfSignedCertificate(['localhost']).cert;
    const err = await handshake(made, ca, servername);
    expect(err === undefined).toBe(ok);
  });
});
