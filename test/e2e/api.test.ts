import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { installObjects } from '../../src/install/manifests.js';
import { eventually, freshNamespace, kubeConfig, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, range, worklistYaml } from '../support/objects.js';
import { withoutInClusterController } from '../support/processes.js';

// The API as users meet it through plain kubectl: the CRDs' schema, CEL rules, printer columns,
// the admission policy, the aggregated user roles, and install/uninstall.

const kc = kubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
let ns: Awaited<ReturnType<typeof freshNamespace>>;

const worklist = worklistYaml;
const block = blockYaml;

beforeAll(async () => {
  const res = teamtask('install');
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  ns = await freshNamespace('e2e-api');
});
afterAll(async () => {
  await ns?.remove();
});

describe('kubectl teamtask install', () => {
  it('changes nothing the second time', async () => {
    // Every object as it stands, but for bookkeeping the API server does by itself: it may
    // rewrite an object only to reorder managedFields (seen on the admission policy after its
    // status controller wrote), bumping resourceVersion without changing any field.
    const snapshot = async () =>
      Promise.all(
        installObjects().map(async (o) => {
          const live = structuredClone(await objects.read(o as never)) as KubernetesObject & {
            status?: unknown;
          };
          delete live.metadata!.managedFields;
          delete live.metadata!.resourceVersion;
          delete live.status;
          return live;
        }),
      );
    const before = await snapshot();
    const res = teamtask('install');
    expect(res.status).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('prints what it would apply with --dry-run=client -o yaml, applying nothing', () => {
    const res = teamtask(
      'install',
      '--dry-run=client',
      '-o',
      'yaml',
      '--image',
      'example.invalid/teamtask:dry',
    );
    expect(res.status).toBe(0);
    const list = parse(res.stdout) as { kind: string; items: KubernetesObject[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((d) => d.kind)).toContain('CustomResourceDefinition');
    // kubectl reads it back as it is.
    const check = kubectlStdin(res.stdout, 'create', '--dry-run=client', '-o', 'name');
    expect(check.stderr).toBe('');
    expect(check.stdout.split('\n')).toContain(
      'customresourcedefinition.apiextensions.k8s.io/worklists.teamtask.dev',
    );
    expect(res.stdout).toContain('image: example.invalid/teamtask:dry');
    expect(res.stdout).toContain('x-kubernetes-int-or-string: true');
    expect(
      kubectl('get', 'deploy', '-n', 'teamtask-system', '-o', 'jsonpath={..image}').stdout,
    ).not.toContain('dry');
  });
});

describe('a Worklist and a Block through plain kubectl', () => {
  // The API as it is without a controller: a new Block stays Pending.
  beforeAll(withoutInClusterController);

  it('applies, gets, explains and deletes them', () => {
    const apply = kubectlStdin(
      `${worklist('primes', { source: range(1, 1_000_000), blockSize: 1000 })}---\n${block('primes-w0', 'primes')}`,
      'apply',
      '-n',
      ns.name,
    );
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toBe('worklist.teamtask.dev/primes created\nblock.teamtask.dev/primes-w0 created\n');

    const lists = kubectl('get', 'worklists', '-n', ns.name);
    expect(lists.stdout).toMatch(/^NAME\s+ITEMS\s+COMPLETED\s+FAILED\s+WORKERS\s+AGE\nprimes\s/);

    const blocks = kubectl('get', 'blocks', '-n', ns.name);
    expect(blocks.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+INDEX\s+SIZE\n/);
    expect(blocks.stdout.split('\n')[1]!.split(/\s+/)).toEqual([
      'primes-w0',
      '0/1',
      'Pending',
      '0',
      'Pending',
      'Pending',
    ]);

    const wide = kubectl('get', 'blocks', '-n', ns.name, '-o', 'wide');
    expect(wide.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+INDEX\s+SIZE\s+WORKER\s+WORKLIST\s+DONE\s+AGE\n/,
    );

    const both = kubectl('get', 'teamtask', '-n', ns.name, '-o', 'name');
    expect(both.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'block.teamtask.dev/primes-w0',
      'worklist.teamtask.dev/primes',
    ]);

    const explain = kubectl('explain', 'worklist.spec.blockSize');
    expect(explain.stdout).toContain('How many items a worker takes at a time');

    const del = kubectl('delete', 'worklist/primes', 'block/primes-w0', '-n', ns.name);
    expect(del.stdout).toBe(
      `worklist.teamtask.dev "primes" deleted from ${ns.name} namespace\n` +
        `block.teamtask.dev "primes-w0" deleted from ${ns.name} namespace\n`,
    );
  });

  it('survives kubectl kustomize intact (a Worklist has no top-level items field)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'teamtask-kustomize-'));
    const manifest = worklist('hosts', { source: { inline: ['a.example', 'b.example'] }, blockSize: 1 });
    writeFileSync(join(dir, 'worklist.yaml'), manifest);
    writeFileSync(join(dir, 'kustomization.yaml'), `resources: [worklist.yaml]\nnamespace: ${ns.name}\n`);
    const out = kubectl('kustomize', dir);
    expect(out.stderr).toBe('');
    const built = parseAllDocuments(out.stdout).map((d) => d.toJS());
    expect(built).toEqual([{ ...parse(manifest), metadata: { name: 'hosts', namespace: ns.name } }]);
    const apply = kubectlStdin(out.stdout, 'apply');
    expect(apply.stdout).toBe('worklist.teamtask.dev/hosts created\n');
  });
});

describe('the API server refuses a bad Worklist with a message that says what to change', () => {
  const cases: { name: string; spec: unknown; message: string | RegExp }[] = [
    { name: 'no source', spec: { blockSize: 10 }, message: 'spec.source: Required value' },
    {
      name: 'an empty source',
      spec: { source: {}, blockSize: 10 },
      message: 'spec.source needs exactly one of range, inline, configMap or worklist',
    },
    {
      name: 'two sources',
      spec: { source: { ...range(1, 10), inline: ['a'] }, blockSize: 10 },
      message: 'spec.source needs exactly one of range, inline, configMap or worklist',
    },
    {
      name: 'a parent Worklist without a name',
      spec: { source: { worklist: { namespace: 'up' } }, blockSize: 10 },
      message: 'spec.source.worklist.name: Required value',
    },
    { name: 'no block size', spec: { source: range(1, 10) }, message: 'spec.blockSize: Required value' },
    {
      name: 'block size 0',
      spec: { source: range(1, 10), blockSize: 0 },
      message: 'spec.blockSize in body should be greater than or equal to 1',
    },
    {
      name: 'block size -5',
      spec: { source: range(1, 10), blockSize: -5 },
      message: 'spec.blockSize in body should be greater than or equal to 1',
    },
    {
      name: 'block size "abc"',
      spec: { source: range(1, 10), blockSize: 'abc' },
      message: /spec\.blockSize: Invalid value: "string": spec\.blockSize in body must be of type integer/,
    },
    {
      name: 'block size 2.5',
      spec: { source: range(1, 10), blockSize: 2.5 },
      message: 'spec.blockSize in body must be of type int64',
    },
    {
      name: 'a range that ends before it starts',
      spec: { source: range(10, 1), blockSize: 1 },
      message: 'spec.source.range.end must be at least spec.source.range.start',
    },
    {
      name: 'a range without an end',
      spec: { source: { range: { start: 1 } }, blockSize: 1 },
      message: 'spec.source.range.end: Required value',
    },
    {
      name: 'a range past 2^53',
      spec: { source: range(0, 2 ** 60), blockSize: 1 },
      message: 'spec.source.range.end in body should be less than or equal to 9007199254740991',
    },
    {
      name: 'a range of more than 2^53-1 items',
      spec: { source: range(-(2 ** 52), 2 ** 52), blockSize: 2 ** 50 },
      message: 'a range may hold at most 9007199254740991 items; narrow spec.source.range',
    },
    {
      name: 'an empty inline list',
      spec: { source: { inline: [] }, blockSize: 1 },
      message: 'spec.source.inline in body should have at least 1 items',
    },
    {
      name: 'an inline list of 1001 items',
      spec: { source: { inline: Array.from({ length: 1001 }, (_, i) => `h${i}`) }, blockSize: 1 },
      message: 'spec.source.inline: Too many: 1001: must have at most 1000 items',
    },
    {
      name: 'an inline item of 254 characters',
      spec: { source: { inline: ['x'.repeat(254)] }, blockSize: 1 },
      message: /spec\.source\.inline\[0\].*may not be more than 253 bytes/,
    },
    {
      name: 'an empty inline item',
      spec: { source: { inline: [''] }, blockSize: 1 },
      message: 'spec.source.inline[0] in body should be at least 1 chars long',
    },
    {
      name: 'a ConfigMap source without a name',
      spec: { source: { configMap: { key: 'k' } }, blockSize: 1 },
      message: 'spec.source.configMap.name: Required value',
    },
    {
      name: 'maxAttempts 0',
      spec: { source: range(1, 10), blockSize: 1, maxAttempts: 0 },
      message: 'spec.maxAttempts in body should be greater than or equal to 1',
    },
    {
      name: 'a lease of 1 second',
      spec: { source: range(1, 10), blockSize: 1, leaseSeconds: 1 },
      message: 'spec.leaseSeconds in body should be greater than or equal to 5',
    },
    {
      name: 'an unknown field',
      spec: { source: range(1, 10), blockSize: 1, blocksize: 1 },
      message: 'unknown field "spec.blocksize"',
    },
  ];

  it.each(cases)('$name', ({ spec, message }) => {
    const res = kubectlStdin(worklist('bad', spec), 'create', '-n', ns.name);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message,
    );
    expect(kubectl('get', 'worklists', '-n', ns.name, '-o', 'name').stdout).not.toContain(
      'worklist.teamtask.dev/bad',
    );
  });

  it.each([
    {
      field: 'spec.blockSize',
      patch: { spec: { blockSize: 20 } },
      message: 'spec.blockSize is immutable; create a new Worklist to use another block size',
    },
    {
      field: 'spec.source',
      patch: { spec: { source: range(1, 20) } },
      message: 'spec.source is immutable; create a new Worklist for other items',
    },
  ])('refuses a change of $field after creation', ({ patch, message }) => {
    const name = `immutable-${patch.spec.blockSize ? 'size' : 'source'}`;
    expect(
      kubectlStdin(worklist(name, { source: range(1, 10), blockSize: 10 }), 'create', '-n', ns.name).status,
    ).toBe(0);
    const res = kubectl(
      'patch',
      'worklist',
      name,
      '-n',
      ns.name,
      '--type',
      'merge',
      '-p',
      JSON.stringify(patch),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(message);
  });
});

describe('the admission policy', () => {
  it('refuses 10,000,000 items in blocks of 1, naming the limit and the block size that fits', () => {
    const res = kubectlStdin(
      worklist('huge', { source: range(1, 10_000_000), blockSize: 1 }),
      'create',
      '-n',
      ns.name,
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'this Worklist would be cut into 10000000 blocks, more than the cluster allows (1000000, ConfigMap teamtask-system/teamtask-limits): raise spec.blockSize to at least 10',
    );
  });

  it('accepts the same items in blocks of 100', () => {
    const res = kubectlStdin(
      worklist('huge', { source: range(1, 10_000_000), blockSize: 100 }),
      'create',
      '-n',
      ns.name,
    );
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('worklist.teamtask.dev/huge created\n');
  });
});

describe('a namespace user with the built-in edit role', () => {
  it('creates Worklists but cannot write their status or touch the controller', async () => {
    const sa = `user-${ns.name}`;
    kubectl('create', 'serviceaccount', sa, '-n', ns.name);
    kubectl(
      'create',
      'rolebinding',
      'user-edit',
      '--clusterrole=edit',
      `--serviceaccount=${ns.name}:${sa}`,
      '-n',
      ns.name,
    );
    const as = ['--as', `system:serviceaccount:${ns.name}:${sa}`];
    // The aggregation controller folds teamtask-edit into `edit` shortly after install.
    await eventually('edit to include worklists', async () =>
      kubectl('auth', 'can-i', 'create', 'worklists.teamtask.dev', '-n', ns.name, ...as).stdout.trim() ===
      'yes'
        ? true
        : undefined,
    );
    const create = kubectlStdin(
      worklist('mine', { source: range(1, 100), blockSize: 10 }),
      'create',
      '-n',
      ns.name,
      ...as,
    );
    expect(create.stdout).toBe('worklist.teamtask.dev/mine created\n');
    const canI = (...args: string[]) => kubectl('auth', 'can-i', ...args, ...as).stdout.trim();
    expect(canI('patch', 'worklists.teamtask.dev', '--subresource=status', '-n', ns.name)).toBe('no');
    expect(canI('patch', 'blocks.teamtask.dev', '--subresource=status', '-n', ns.name)).toBe('no');
    expect(canI('delete', 'deployment/teamtask-controller', '-n', 'teamtask-system')).toBe('no');
    expect(canI('update', 'configmap/teamtask-limits', '-n', 'teamtask-system')).toBe('no');
    const status = kubectl(
      'patch',
      'worklist',
      'mine',
      '-n',
      ns.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"completed":"0-99"}}',
      ...as,
    );
    expect(status.status).toBe(1);
    expect(status.stderr).toContain('forbidden');
  });
});
