import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  freshNamespace,
  kubeConfig,
  kubectl,
  kubectlStdin,
  teamtask,
  testEnv,
} from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { fileLines, readBlock, readWorklist } from '../support/read.js';
import { Background, startController, withoutInClusterController } from '../support/processes.js';
import { REPO_ROOT } from '../support/paths.js';
import { GATEWAY_TOKEN_LABEL } from '../../src/api/names.js';
import { selfSignedCertificate } from '../../src/gateway/tls.js';
import { mintToken } from '../../src/gateway/tokens.js';
import { TeamtaskClient } from '../../src/kube/teamtask-client.js';

// The wrapped API (docs/gateway.md) as real processes: `kubectl teamtask serve` on loopback, the
// controller, workers with no kubeconfig at all (the runtime with --server, and a curl loop), and
// the security table, each refusal with its exact status and nothing changed in the ledger.

const dir = mkdtempSync(join(tmpdir(), 'teamtask-gateway-'));
let ns: Awaited<ReturnType<typeof freshNamespace>>;
let controller: Background;
let gateway: Background;
let server: string;
/** The gateway's certificate and key (made here, so that a restarted gateway serves the same one). */
const tls = selfSignedCertificate(['localhost', '127.0.0.1']);
const certFile = join(dir, 'gateway.crt');
const keyFile = join(dir, 'gateway.key');

const create = (name: string, spec: unknown) => {
  const res = kubectlStdin(worklistYaml(name, spec), 'create', '-n', ns.name);
  expect(res.stderr).toBe('');
};

/** Tokens are the cluster's (one Secret): this run's names end in its own suffix, and go after it. */
const run = Math.random().toString(36).slice(2, 7);
const made: string[] = [];

/** `token create`'s token (named NAME-RUN), from its -o json. */
function token(name: string, ...flags: string[]): string {
  made.push(`${name}-${run}`);
  const res = teamtask('token', 'create', `${name}-${run}`, '-n', ns.name, '-o', 'json', ...flags);
  expect(res.stderr).toBe('');
  return (JSON.parse(res.stdout) as { token: string }).token;
}

/** A gateway on loopback, on `port` (0: any free one); resolves once it serves, with its address. */
async function startGateway(port: number, ...extra: string[]): Promise<{ process: Background; url: string }> {
  const process = new Background([
    'serve',
    '--bind-address',
    `127.0.0.1:${port}`,
    '--tls-cert-file',
    certFile,
    '--tls-key-file',
    keyFile,
    ...extra,
  ]);
  const url = (await process.waitFor(/serving (https:\/\/\S+)/, 'the gateway to serve'))[1]!;
  return { process, url };
}

/** The environment of a machine with no cluster credentials: no KUBECONFIG, an empty HOME. */
function noCredentials(): NodeJS.ProcessEnv {
  const { KUBECONFIG: _k, ...env } = testEnv();
  return { ...env, HOME: mkdtempSync(join(dir, 'home-')) };
}

/** One raw HTTPS request (the path sent exactly as given: no `..` resolved): status, headers, JSON body. */
function call(
  method: string,
  path: string,
  o: { token?: string; body?: string; url?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  body: { message?: string } & Record<string, unknown>;
}> {
  const u = new URL(o.url ?? server);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ca: tls.cert,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let body = {};
          try {
            body = JSON.parse(text) as object;
          } catch {
            // not JSON (metrics)
          }
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A GET's body as text (the gateway's /metrics). */
function fetchText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(server);
    httpsRequest({ host: u.hostname, port: u.port, path, ca: tls.cert }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** A port free on loopback now. */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const api = (worklist: string) => `/v1/namespaces/${ns.name}/worklists/${worklist}`;

/** `work WORKLIST` through the gateway at `url` with `bearer`, trusting its certificate; then `extra`. */
const remoteWork = (worklist: string, bearer: string, url: string, ...extra: string[]) => [
  'work',
  worklist,
  '-n',
  ns.name,
  '--server',
  url,
  '--token',
  bearer,
  '--certificate-authority',
  certFile,
  ...extra,
];

beforeAll(async () => {
  writeFileSync(certFile, tls.cert);
  writeFileSync(keyFile, tls.key);
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-gateway');
  controller = startController();
  // The flood case below counts on these limits (the defaults are a fleet's, ten times more).
  const started = await startGateway(0, '--rate', '20', '--burst', '40');
  gateway = started.process;
  server = started.url;
});
afterAll(async () => {
  await gateway?.stop();
  await controller?.stop();
  for (const name of made) teamtask('token', 'revoke', name);
  await ns?.remove();
});

describe('kubectl teamtask serve (the gateway)', () => {
  it('lets a worker with no kubeconfig complete a Worklist through it, each item exactly once', async () => {
    create('nums', { source: range(0, 199), blockSize: 10 });
    const t = token('runtime', '--worklist', 'nums');
    const out = join(dir, 'nums');
    const args = remoteWork('nums', t, server);
    const workers = [0, 1].map(
      () =>
        new Background(
          [...args, '--jobs', '2', '--', 'sh', '-c', `echo "$0" >> ${out}`, '{}'],
          noCredentials(),
        ),
    );
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    expect(
      fileLines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const w = await readWorklist(ns.name, 'nums');
    expect(w.status).toMatchObject({ completed: '0-199', completedItems: 200, failedItems: 0 });
    // A read-only token shows the progress, with no kubeconfig either.
    const reader = token('reader', '--worklist', 'nums', '--read-only');
    const status = spawnSync(
      'kubectl-teamtask',
      [
        'status',
        'nums',
        '-n',
        ns.name,
        '--server',
        server,
        '--certificate-authority',
        certFile,
        '-o',
        'json',
      ],
      { env: { ...noCredentials(), TEAMTASK_TOKEN: reader }, encoding: 'utf8' },
    );
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({
      name: 'nums',
      total: 200,
      completed: 200,
      failed: 0,
      complete: true,
    });
    const progress = await call('GET', `${api('nums')}/progress`, { token: reader });
    expect(progress).toMatchObject({
      status: 200,
      body: { total: 200, completed: 200, percent: 100, complete: true },
    });
    // Its Blocks were made by the gateway, with the token's name, and went when the workers ended.
    expect(workers[0]!.output).toMatch(/block nums-gw-\w+ working on worklist nums/);
    await eventually('the Blocks to go', async () =>
      (
        await new TeamtaskClient(kubeConfig())
          .blocks(ns.name)
          .list({ labelSelector: `${GATEWAY_TOKEN_LABEL}=runtime-${run}` })
      ).length === 0
        ? true
        : undefined,
    );
  });

  it('lets a worker with nothing but curl and jq do the same (examples/gateway-worker.sh)', async () => {
    create('words', { source: { inline: Array.from({ length: 40 }, (_, i) => `word ${i}`) }, blockSize: 6 });
    const out = join(dir, 'words');
    const env = {
      ...noCredentials(),
      TEAMTASK_SERVER: server,
      TEAMTASK_TOKEN: token('curl', '--worklist', 'words'),
      CA: certFile,
    };
    const res = spawnSync(
      'sh',
      [join(REPO_ROOT, 'examples/gateway-worker.sh'), ns.name, 'words', 'sh', '-c', `echo "$0" >> ${out}`],
      { env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(fileLines(out).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `word ${i}`).sort());
    const w = await readWorklist(ns.name, 'words');
    expect(w.status).toMatchObject({ completedItems: 40, failedItems: 0 });
  });

  describe('refuses, with the exact status, and changes nothing in the ledger', () => {
    let a: string;
    let readOnly: string;
    let claimed: { block: string; range: { token: number } };

    beforeAll(async () => {
      create('sec-a', { source: range(0, 99), blockSize: 10 });
      create('sec-b', { source: range(0, 99), blockSize: 10 });
      a = token('sec-a', '--worklist', 'sec-a');
      readOnly = token('sec-read', '--worklist', 'sec-a', '--read-only');
      token('sec-b', '--worklist', 'sec-b');
      // A range of sec-a's held by a claim, for the fencing cases.
      claimed = await eventually('a claim to get a range', async () => {
        const res = await call('POST', `${api('sec-a')}/claim`, {
          token: a,
          body: '{"worker":"w1","waitSeconds":5}',
        });
        return res.status === 200 && res.body.range ? (res.body as typeof claimed) : undefined;
      });
    });

    /** The ledger of both Worklists and every Block's report: what no refused request may change. */
    const ledger = async () => {
      const pick = async (n: string) => {
        const s = (await readWorklist(ns.name, n)).status ?? {};
        return [s.completed, s.failed, s.completedItems, s.failedItems, s.assigned];
      };
      const blocks = await new TeamtaskClient(kubeConfig()).blocks(ns.name).list();
      return {
        a: await pick('sec-a'),
        b: await pick('sec-b'),
        reports: blocks.map((b) => [b.metadata.name, b.spec.report]),
      };
    };

    it.each([
      { name: 'no token: 401', status: 401, req: () => call('GET', api('sec-a')) },
      {
        name: 'a token that was never made: 401',
        status: 401,
        req: () => call('GET', api('sec-a'), { token: mintToken('sec-a').token }),
      },
      {
        name: 'a token of Worklist sec-a on sec-b: 403',
        status: 403,
        req: () => call('GET', api('sec-b'), { token: a }),
      },
      {
        name: 'a read-only token claiming: 403',
        status: 403,
        req: () => call('POST', `${api('sec-a')}/claim`, { token: readOnly, body: '{"worker":"r"}' }),
      },
      {
        name: "a Block of another token's, on the same Worklist: 403",
        status: 403,
        req: async () =>
          call('GET', `${api('sec-a')}/blocks/${claimed.block}`, {
            token: token('sec-a2', '--worklist', 'sec-a'),
          }),
      },
      {
        name: 'a Block of another Worklist: 403',
        status: 403,
        req: async () =>
          call('GET', `${api('sec-b')}/blocks/${claimed.block}`, {
            token: token('sec-b2', '--worklist', 'sec-b'),
          }),
      },
      {
        name: 'a completion with a stale fencing token: 409',
        status: 409,
        req: () =>
          call('POST', `${api('sec-a')}/complete`, {
            token: a,
            body: JSON.stringify({ block: claimed.block, token: claimed.range.token + 1000 }),
          }),
      },
      {
        name: 'a report with a stale fencing token: 409',
        status: 409,
        req: () =>
          call('PUT', `${api('sec-a')}/blocks/${claimed.block}/report`, {
            token: a,
            body: JSON.stringify({ token: claimed.range.token + 1000, done: '0-9', complete: true }),
          }),
      },
      {
        name: 'malformed JSON: 400',
        status: 400,
        req: () => call('POST', `${api('sec-a')}/claim`, { token: a, body: '{"worker":' }),
      },
      {
        name: 'a report that is not one: 400',
        status: 400,
        req: () =>
          call('PUT', `${api('sec-a')}/blocks/${claimed.block}/report`, {
            token: a,
            body: '{"token":1,"done":"all of them"}',
          }),
      },
      {
        name: 'a body over the limit: 413',
        status: 413,
        req: () =>
          call('POST', `${api('sec-a')}/claim`, {
            token: a,
            body: JSON.stringify({ worker: 'x'.repeat(100_000) }),
          }),
      },
      {
        name: 'path traversal (..): 400',
        status: 400,
        req: () => call('GET', `/v1/namespaces/${ns.name}/worklists/../../x`, { token: a }),
      },
      {
        name: 'an encoded separator: 400',
        status: 400,
        req: () => call('GET', `/v1/namespaces/${ns.name}/worklists/sec-a%2F..%2Fsec-b`, { token: a }),
      },
      {
        name: 'a namespace that is not a DNS label: 400',
        status: 400,
        req: () => call('GET', '/v1/namespaces/Not_A_Label/worklists/sec-a', { token: a }),
      },
    ])('$name', async ({ status, req }) => {
      const before = await ledger();
      const res = await req();
      expect(res.status).toBe(status);
      expect(res.body.message).toEqual(expect.any(String));
      expect(res.body.hint).toEqual(expect.any(String));
      expect(await ledger()).toEqual(before);
    });

    it('refuses a token past its expiry, and a revoked one within seconds: 401', async () => {
      const expired = token('expired', '--worklist', 'sec-a', '--ttl', '1s');
      await eventually('the token to expire', async () =>
        (await call('GET', api('sec-a'), { token: expired })).status === 401 ? true : undefined,
      );
      expect((await call('GET', api('sec-a'), { token: expired })).body.message).toBe(
        'the token has expired',
      );
      const revoked = token('revoked', '--worklist', 'sec-a');
      await eventually('the new token to be accepted', async () =>
        (await call('GET', api('sec-a'), { token: revoked })).status === 200 ? true : undefined,
      );
      expect(teamtask('token', 'revoke', `revoked-${run}`).status).toBe(0);
      const revokedAt = Date.now();
      await eventually('the revoked token to be refused', async () =>
        (await call('GET', api('sec-a'), { token: revoked })).status === 401 ? true : undefined,
      );
      // Within seconds: the gateway reads the tokens again when its copy is 2 s old.
      expect(Date.now() - revokedAt).toBeLessThan(10_000);
    });

    it('answers a flood with 429 and Retry-After, and the API server sees none of the refused requests', async () => {
      const flood = token('flood', '--worklist', 'sec-a', '--read-only');
      await eventually('the new token to be accepted', async () =>
        (await call('GET', api('sec-a'), { token: flood })).status === 200 ? true : undefined,
      );
      const apiCalls = async () => {
        const text = await fetchText('/metrics');
        return Number(/^teamtask_gateway_api_calls_total (\d+)$/m.exec(text)?.[1]);
      };
      const callsBefore = await apiCalls();
      const answers = await Promise.all(
        Array.from({ length: 300 }, () => call('GET', api('sec-a'), { token: flood })),
      );
      const refused = answers.filter((r) => r.status === 429);
      const served = answers.filter((r) => r.status === 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(served.length + refused.length).toBe(300);
      expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // One read of the Worklist per request served, none for a refused one.
      expect((await apiCalls()) - callsBefore).toBe(served.length);
    });

    it('speaks only TLS', async () => {
      const plain = server.replace('https://', 'http://');
      const answer = await fetch(`${plain}${api('sec-a')}`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect(answer).not.toBe(200);
      const res = teamtask('work', 'sec-a', '-n', ns.name, '--server', plain, '--token', a, '--', 'true');
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/https/);
    });
  });

  it.each([
    {
      case: 'a name that is not a DNS label',
      args: ['Bad_Name', '--all-worklists'],
      says: /is not a DNS label/,
    },
    {
      case: 'a name kept for Kubernetes identities',
      args: ['k8s-0123456789abcdef', '--all-worklists'],
      says: /starts with k8s-, which names Kubernetes identities at the gateway: choose another name/,
    },
    { case: 'no scope', args: ['no-scope'], says: /--worklist NAME, or --all-worklists/ },
  ])('token create refuses $case in one line, exit 2, and makes no token', ({ args, says }) => {
    const res = teamtask('token', 'create', ...args, '-n', ns.name);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(says);
    expect(res.stdout).toBe('');
    expect(teamtask('token', 'list', '-n', ns.name).stdout).not.toContain(args[0]);
  });

  it("takes a ServiceAccount's token the cluster lets make Blocks (TokenReview, SubjectAccessReview), and refuses the rest", async () => {
    create('sa-work', { source: range(0, 29), blockSize: 5 });
    const rbac = `
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: runner}
rules:
  - {apiGroups: [teamtask.dev], resources: [worklists], verbs: [get]}
  - {apiGroups: [teamtask.dev], resources: [blocks], verbs: [get, create, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: runner}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: runner}
subjects: [{kind: ServiceAccount, name: runner}]
`;
    expect(kubectlStdin(rbac, 'apply', '-n', ns.name).status).toBe(0);
    const saToken = (sa: string) => kubectl('create', 'token', sa, '-n', ns.name).stdout.trim();
    const [runner, nobody] = [saToken('runner'), saToken('nobody')];
    const claim = (bearer: string) =>
      call('POST', `${api('sa-work')}/claim`, { token: bearer, body: '{"worker":"x","waitSeconds":0}' });
    expect((await claim(nobody)).status).toBe(403);
    expect((await claim(nobody)).body.message).toBe(
      `system:serviceaccount:${ns.name}:nobody may not get worklists/sa-work in namespace ${ns.name} (SubjectAccessReview)`,
    );
    expect((await claim('eyJhbGciOiJSUzI1NiJ9.e30.c2ln')).status).toBe(401);
    const out = join(dir, 'sa-work');
    const worker = new Background(
      [...remoteWork('sa-work', runner, server), '--', 'sh', '-c', `echo "$0" >> ${out}`, '{}'],
      noCredentials(),
    );
    expect(await worker.exited).toBe(0);
    expect(
      fileLines(out)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Its Blocks are its own: one a gateway token made on the same Worklist is not.
    const gw = token('sa-gw', '--worklist', 'sa-work');
    const made = await eventually('a gateway token to make a Block', async () => {
      const res = await call('POST', `${api('sa-work')}/blocks`, { token: gw, body: '{"worker":"g"}' });
      return res.status === 201 ? (res.body.block as string) : undefined;
    });
    expect((await call('GET', `${api('sa-work')}/blocks/${made}`, { token: runner })).status).toBe(403);
    expect((await call('DELETE', `${api('sa-work')}/blocks/${made}`, { token: gw })).status).toBe(200);
  });

  it('lets no caller do through it what it could not do itself: another Worklist, items it may not read, items of another namespace', async () => {
    create('own', { source: range(0, 9), blockSize: 5 });
    create('other', { source: range(0, 9), blockSize: 5 });
    const items = kubectlStdin(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: private-items}\ndata: {items: "secret\\n"}\n',
      'create',
      '-n',
      ns.name,
    );
    expect(items.status).toBe(0);
    create('private', { source: { configMap: { name: 'private-items' } }, blockSize: 1 });
    create('child', { source: { worklist: { name: 'elsewhere', namespace: 'kube-system' } }, blockSize: 5 });
    // A worker Role as kubectl teamtask create makes it: its Worklist by name, Blocks namespace-wide.
    const rbac = (account: string, worklists: string) => `
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${account}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${account}}
rules:
  - {apiGroups: [teamtask.dev], resources: [worklists], verbs: [get], ${worklists}}
  - {apiGroups: [teamtask.dev], resources: [blocks], verbs: [get, create, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${account}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${account}}
subjects: [{kind: ServiceAccount, name: ${account}}]
`;
    expect(kubectlStdin(rbac('own-runner', 'resourceNames: [own]'), 'apply', '-n', ns.name).status).toBe(0);
    // Named as the workers of Worklist own are, and allowed every Worklist by RBAC: the policy still holds.
    expect(
      kubectlStdin(rbac('teamtask-worker-own', 'resourceNames: []'), 'apply', '-n', ns.name).status,
    ).toBe(0);
    const saToken = (sa: string) => kubectl('create', 'token', sa, '-n', ns.name).stdout.trim();
    const [runner, worker] = [saToken('own-runner'), saToken('teamtask-worker-own')];
    const claim = (worklist: string, bearer: string) =>
      call('POST', `${api(worklist)}/claim`, { token: bearer, body: '{"worker":"x","waitSeconds":0}' });
    // RBAC: its Role names Worklist own only (the namespace-wide create blocks is not enough).
    const notItsWorklist = await claim('other', runner);
    expect([notItsWorklist.status, notItsWorklist.body.message]).toEqual([
      403,
      `system:serviceaccount:${ns.name}:own-runner may not get worklists/other in namespace ${ns.name} (SubjectAccessReview)`,
    ]);
    // The admission policy, which the gateway's own writes would not meet: a worker of own, only own.
    const notItsWorkers = await claim('other', worker);
    expect([notItsWorkers.status, notItsWorkers.body.message]).toEqual([
      403,
      'a worker of Worklist own may only work on that Worklist, not on other',
    ]);
    // own-runner may work on own, and claims there.
    expect((await claim('own', runner)).status).toBe(200);
    // A ConfigMap source: a caller that may work on the Worklist but not read the ConfigMap gets
    // none of its lines (the gateway itself may read every ConfigMap).
    expect(
      kubectlStdin(rbac('private-runner', 'resourceNames: [private]'), 'apply', '-n', ns.name).status,
    ).toBe(0);
    const privateRunner = saToken('private-runner');
    const privateClaim = await eventually('a range of private to be claimed', async () => {
      const res = await claim('private', privateRunner);
      return res.status !== 200 || res.body.range || res.body.finished ? res : undefined;
    });
    expect(privateClaim.status).toBe(403);
    expect(privateClaim.body.message).toBe(
      `the items of worklist private are in ConfigMap ${ns.name}/private-items, which the caller may not read`,
    );
    expect(JSON.stringify(privateClaim.body)).not.toContain('secret');
    const itemsRead = await call('GET', `${api('private')}/items`, { token: privateRunner });
    expect([itemsRead.status, JSON.stringify(itemsRead.body).includes('secret')]).toEqual([403, false]);
    // A gateway token for a Worklist whose items are another namespace's Worklist's: refused.
    const childToken = token('child', '--worklist', 'child');
    const childItems = await call('GET', `${api('child')}/items`, { token: childToken });
    expect(childItems.status).toBe(403);
    expect(childItems.body.message).toBe(
      `the items of worklist child are those of worklist kube-system/elsewhere, outside namespace ${ns.name}`,
    );
  });

  it("gives a vanished remote worker's range to another once its lease runs out: nothing is lost", async () => {
    create('vanish', { source: range(0, 29), blockSize: 5, leaseSeconds: 5 });
    const t = token('vanish', '--worklist', 'vanish');
    const out = join(dir, 'vanish');
    const args = (delay: string) => [
      ...remoteWork('vanish', t, server),
      '--',
      'sh',
      '-c',
      `sleep ${delay}; echo "$0" >> ${out}`,
      '{}',
    ];
    const first = new Background(args('0.5'), noCredentials());
    await eventually('the first worker to finish an item', async () =>
      fileLines(out).length >= 1 ? true : undefined,
    );
    // Gone without a word: no report, no release, its Block left behind.
    first.child.kill('SIGKILL');
    await first.exited;
    const second = new Background(args('0'), noCredentials());
    expect(await second.exited).toBe(0);
    const w = await readWorklist(ns.name, 'vanish');
    expect(w.status).toMatchObject({ completed: '0-29', completedItems: 30, failedItems: 0 });
    // Each item ran; one the first worker ran and never reported may have run again.
    expect(new Set(fileLines(out).map(Number))).toEqual(new Set(Array.from({ length: 30 }, (_, i) => i)));
    expect(fileLines(out).length).toBeLessThanOrEqual(30 + 5);
  });

  it('gives a shell loop that comes back after its lease ran out a range at its next claim (its Lost Block says it is alive)', async () => {
    create('comeback', { source: range(0, 9), blockSize: 5, leaseSeconds: 5 });
    const t = token('comeback', '--worklist', 'comeback');
    const claim = async () =>
      (
        await call('POST', `${api('comeback')}/claim`, {
          token: t,
          body: '{"worker":"loop","waitSeconds":30}',
        })
      ).body as { block: string; range?: { token: number; index: number; size: number } };
    const first = await claim();
    expect(first.range).toBeDefined();
    // Away longer than the lease: the controller takes the range back and marks the Block Lost.
    await eventually(
      'the Block to be Lost',
      async () => ((await readBlock(ns.name, first.block)).status?.phase === 'Lost' ? true : undefined),
      30_000,
    );
    const again = await claim();
    expect(again.block).toBe(first.block);
    expect(again.range).toBeDefined();
    expect(again.range!.token).not.toBe(first.range!.token);
  });

  it('loses nothing and runs nothing twice when the gateway is killed mid-work and started again', async () => {
    create('restart', { source: range(0, 59), blockSize: 5 });
    const t = token('restart', '--worklist', 'restart');
    const out = join(dir, 'restart');
    const port = await freePort();
    let gw = await startGateway(port);
    const worker = new Background(
      [
        ...remoteWork('restart', t, gw.url),
        '--jobs',
        '2',
        '--',
        'sh',
        '-c',
        `sleep 0.2; echo "$0" >> ${out}`,
        '{}',
      ],
      noCredentials(),
    );
    await eventually('some items to be done', async () => (fileLines(out).length >= 10 ? true : undefined));
    gw.process.child.kill('SIGKILL');
    await gw.process.exited;
    await new Promise((r) => setTimeout(r, 2000));
    gw = await startGateway(port);
    expect(await worker.exited).toBe(0);
    await gw.process.stop();
    expect(
      fileLines(out)
        .map(Number)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const w = await readWorklist(ns.name, 'restart');
    expect(w.status).toMatchObject({ completed: '0-59', completedItems: 60, failedItems: 0 });
  });
});
