import { createServer, type AddressInfo } from 'node:net';
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { explain, isUnreachable } from './errors.js';
import { clientsOf, kubeConfigFromSecret, withTimeout } from './other-cluster.js';

const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: parent, cluster: {server: "https://127.0.0.1:16543"}}]
users: [{name: secondary, user: {token: abc}}]
contexts: [{name: parent, context: {cluster: parent, user: secondary}}]
current-context: parent
`;
const secret = (
  data?: Record<string, string>,
  labels: Record<string, string> = { 'teamtask.dev/kubeconfig': 'true' },
): V1Secret => ({
  metadata: { name: 'to-parent', namespace: 'leaf', labels },
  ...(data ? { data } : {}),
});
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe("a parent cluster's kubeconfig Secret", () => {
  it('gives the kubeconfig under key kubeconfig, its current context selected', () => {
    const kc = kubeConfigFromSecret(secret({ kubeconfig: b64(kubeconfig) }));
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:16543');
    expect(kc.getCurrentUser()?.token).toBe('abc');
  });

  it.each([
    ['without the label', {}],
    ['labelled anything but true', { 'teamtask.dev/kubeconfig': 'yes' }],
  ])('is refused %s: only a Secret made for Teamtask is used, whatever it holds', (_, labels) => {
    expect(() => kubeConfigFromSecret(secret({ kubeconfig: b64(kubeconfig) }, labels))).toThrow(
      expect.objectContaining({
        message:
          'Secret leaf/to-parent is not labelled teamtask.dev/kubeconfig=true: Teamtask uses only kubeconfig Secrets made for it',
        hint: 'if it is meant for Teamtask: kubectl label secret to-parent -n leaf teamtask.dev/kubeconfig=true',
      }),
    );
  });

  it.each([
    ['without the key', secret({ config: b64(kubeconfig) }), 'Secret leaf/to-parent has no key kubeconfig'],
    ['without data at all', secret(), 'Secret leaf/to-parent has no key kubeconfig'],
    [
      'with text that is no kubeconfig',
      secret({ kubeconfig: b64('{{{') }),
      'key kubeconfig is no kubeconfig',
    ],
    [
      'with no current context',
      secret({ kubeconfig: b64(kubeconfig.replace('current-context: parent', '')) }),
      'has no current context with a cluster',
    ],
  ])('is refused %s, saying what to put there', (_, s, message) => {
    let err: unknown;
    try {
      kubeConfigFromSecret(s);
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message)).toContain(message);
    expect((err as { hint: string }).hint).toMatch(/kubectl config view --minify --flatten/);
  });
});

describe('a call to another cluster', () => {
  it('gives its answer when it comes in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 50, 'reading')).resolves.toBe(7);
  });

  it('fails once its time is up when no answer comes (a stopped API server holds the request open)', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'reading the parent')).rejects.toThrow(
      'reading the parent: no answer in 0.02 s',
    );
  });
});

describe("a request through a parent cluster's kubeconfig", () => {
  it('is aborted at its deadline when the server takes the connection and never answers, and counts as unreachable', async () => {
    // Accepts, and never says a word (not even TLS's): a stopped API server, a partition.
    const server = createServer(() => {});
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const { port } = server.address() as AddressInfo;
      const silent = kubeconfig.replace('127.0.0.1:16543', `127.0.0.1:${port}`);
      const kc = kubeConfigFromSecret(secret({ kubeconfig: b64(silent) }), 100);
      const failure = await clientsOf(kc)
        .client.worklists('main')
        .get('top')
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(isUnreachable(failure)).toBe(true);
      expect(explain(failure).message).toBe('cannot reach the cluster (no answer in time)');
    } finally {
      server.close();
    }
  });
});
