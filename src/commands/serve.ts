import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { Flags } from '@oclif/core';
import { GATEWAY_TOKENS_SECRET, SYSTEM_NAMESPACE } from '../api/names.js';
import { BaseCommand } from '../cli/base-command.js';
import { HintedError } from '../kube/errors.js';
import { DEFAULT_GATEWAY_LIMITS, Gateway } from '../gateway/server.js';
import { selfSignedCertificate } from '../gateway/tls.js';
import { KubeAuth, kubeReviews } from '../gateway/kube-auth.js';
import { TokenCache, TokenStore } from '../gateway/token-store.js';

export default class Serve extends BaseCommand<typeof Serve> {
  static override summary =
    'Run the gateway: an HTTPS API to claim and report work with a token instead of a kubeconfig.';
  static override description = `The wrapped API of docs/gateway.md: workers and users outside the cluster claim ranges, report them and read progress with a bearer token (kubectl teamtask token create) scoped to one Worklist or namespace; the gateway acts through their Blocks with its own credential, as a worker would. HTTPS only: with a certificate from --tls-cert-file and --tls-key-file, or else a self-signed one it makes at start (written to --certificate-out for clients to trust). Each token is rate-limited; a flood gets 429 with Retry-After.`;
  static override examples = [
    'kubectl teamtask serve',
    'kubectl teamtask serve --bind-address 127.0.0.1:9443 --certificate-out ./gateway.crt',
    'kubectl teamtask serve --tls-cert-file tls.crt --tls-key-file tls.key --bind-address 10.0.0.5:443',
  ];
  static override flags = {
    'bind-address': Flags.string({
      default: '127.0.0.1:8443',
      description: 'host:port to listen on (port 0: any free port)',
    }),
    'tls-cert-file': Flags.string({
      description: 'the server certificate (PEM)',
      dependsOn: ['tls-key-file'],
    }),
    'tls-key-file': Flags.string({ description: 'its private key (PEM)', dependsOn: ['tls-cert-file'] }),
    hostname: Flags.string({
      multiple: true,
      description:
        'a name clients reach it by, for the self-signed certificate (localhost and loopback are in it)',
    }),
    'certificate-out': Flags.string({
      description:
        'where to write the self-signed certificate (default: a new folder in the temp folder, named in the log)',
    }),
    rate: Flags.integer({
      min: 1,
      default: DEFAULT_GATEWAY_LIMITS.rate,
      description: 'requests a second per token',
    }),
    burst: Flags.integer({
      min: 1,
      default: DEFAULT_GATEWAY_LIMITS.burst,
      description: 'requests a token may save up',
    }),
    'max-claims-per-token': Flags.integer({
      min: 1,
      default: DEFAULT_GATEWAY_LIMITS.claimsPerToken,
      description: 'claims a token may have waiting at once',
    }),
    'kubernetes-tokens': Flags.boolean({
      default: true,
      allowNo: true,
      description:
        'also accept Kubernetes bearer tokens (ServiceAccount, OIDC): checked with a TokenReview, and authorized against the Worklist with a SubjectAccessReview',
    }),
    'max-connections': Flags.integer({
      min: 1,
      default: DEFAULT_GATEWAY_LIMITS.connections,
      description: 'connections open at once',
    }),
  };

  public async run(): Promise<void> {
    const f = this.flags;
    const m = /^(.+):(\d+)$/.exec(f['bind-address']);
    if (!m) this.usage(`--bind-address "${f['bind-address']}" is not host:port`);
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    const port = Number(m[2]);
    const own = f['tls-cert-file'] ? undefined : selfSignedCertificate(hostsFor(host, f.hostname ?? []));
    const tls = own ?? { cert: readPem(f['tls-cert-file']!), key: readPem(f['tls-key-file']!) };
    const store = new TokenStore(this.kube.kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE);
    const log = (line: string) => this.logToStderr(`teamtask gateway: ${line}`);
    const cache = new TokenCache(() => store.read());
    const gateway = new Gateway({
      kc: this.kube.kc,
      tls,
      lookup: (name) => cache.lookup(name),
      limits: {
        rate: f.rate,
        burst: f.burst,
        claimsPerToken: f['max-claims-per-token'],
        connections: f['max-connections'],
      },
      ...(f['kubernetes-tokens'] ? { kubeAuth: new KubeAuth(kubeReviews(this.kube.kc)) } : {}),
      log,
    });
    const stop = this.abortOnSignals();
    const address = await gateway.listen(host, port);
    const url = `https://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    if (own) {
      // A folder of its own by default: a file at a name others can guess could be theirs.
      const file =
        f['certificate-out'] ??
        join(mkdtempSync(join(tmpdir(), 'teamtask-gateway-')), `gateway-${address.port}.crt`);
      writeFileSync(file, own.cert);
      log(
        `a self-signed certificate, written to ${file}: clients trust it with --certificate-authority ${file} (curl --cacert ${file})`,
      );
    }
    log(`serving ${url} (tokens from Secret ${SYSTEM_NAMESPACE}/${GATEWAY_TOKENS_SECRET})`);
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    log('stopping');
    await gateway.close();
  }
}

/** The names the self-signed certificate is for: loopback, the bound address, and what the user names. */
function hostsFor(host: string, extra: readonly string[]): string[] {
  const all = [
    'localhost',
    '127.0.0.1',
    '::1',
    ...(isIP(host) && host !== '0.0.0.0' && host !== '::' ? [host] : []),
    ...extra,
  ];
  return [...new Set(all)];
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HintedError(`cannot read ${path}: ${(err as Error).message}`, 'pass the path of a PEM file');
  }
}
