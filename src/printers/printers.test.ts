import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { readCrd } from '../api/v1alpha1/crds.js';
import { humanDuration } from './age.js';
import { renderJsonPath } from './jsonpath.js';
import { printTable, type Column } from './table.js';

const now = new Date('2026-11-24T12:00:00Z');
const columns = (kind: 'Worklist' | 'Block') =>
  readCrd(kind).spec.versions[0]!.additionalPrinterColumns as Column[];

const worklists: KubernetesObject[] = [
  {
    metadata: { name: 'primes', namespace: 'work', creationTimestamp: new Date('2026-11-24T11:55:00Z') },
    spec: { blockSize: 1000 },
    status: { totalItems: 100000, completedItems: 41000, failedItems: 3, workers: 4 },
  } as KubernetesObject,
  {
    metadata: { name: 'hosts', namespace: 'ops', creationTimestamp: new Date('2026-11-21T09:00:00Z') },
    spec: { blockSize: 10, suspend: true, source: { worklist: { name: 'all-hosts', namespace: 'fleet' } } },
  } as KubernetesObject,
];
const blocks: KubernetesObject[] = [
  {
    metadata: {
      name: 'primes-workers-0-x7k2p',
      namespace: 'work',
      creationTimestamp: new Date('2026-11-24T11:59:30Z'),
    },
    spec: { worklist: 'primes', worker: 'primes-workers-0-x7k2p' },
    status: { ready: '1/1', phase: 'Ready', restarts: 0, index: 41000, size: 1000 },
  } as KubernetesObject,
  {
    metadata: { name: 'laptop', namespace: 'work', creationTimestamp: new Date('2026-11-24T11:59:58Z') },
    spec: { worklist: 'primes', worker: 'ann@laptop' },
    status: { ready: '0/1', phase: 'Pending', restarts: 0, index: 'Pending', size: 'Pending' },
  } as KubernetesObject,
];

describe('get tables', () => {
  it('prints Worklists with the CRD printer columns, aligned like kubectl', () => {
    expect(printTable(worklists, columns('Worklist'), { now })).toBe(
      [
        'NAME     ITEMS    COMPLETED   FAILED   WORKERS   AGE',
        'primes   100000   41000       3        4         5m',
        'hosts                                            3d3h',
      ].join('\n'),
    );
  });

  it('adds the priority columns with -o wide and a NAMESPACE column with -A', () => {
    expect(printTable(worklists, columns('Worklist'), { now, wide: true, withNamespace: true })).toBe(
      [
        'NAMESPACE   NAME     ITEMS    COMPLETED   FAILED   WORKERS   AGE    BLOCK SIZE   SUSPENDED   PARENT',
        'work        primes   100000   41000       3        4         5m     1000                     ',
        'ops         hosts                                            3d3h   10           true        all-hosts',
      ].join('\n'),
    );
  });

  // Without headers, a column is as wide as its widest cell plus 3, but at least 6 (kubectl's
  // tabwriter): RESTARTS "0" takes 6, the empty DONE column too.
  it('prints Blocks like pods, without headers on request', () => {
    expect(printTable(blocks, columns('Block'), { now })).toBe(
      [
        'NAME                     READY   STATUS    RESTARTS   INDEX     SIZE',
        'primes-workers-0-x7k2p   1/1     Ready     0          41000     1000',
        'laptop                   0/1     Pending   0          Pending   Pending',
      ].join('\n'),
    );
    expect(printTable(blocks, columns('Block'), { now, noHeaders: true, wide: true })).toBe(
      [
        'primes-workers-0-x7k2p   1/1   Ready     0     41000     1000      primes-workers-0-x7k2p   primes         30s',
        'laptop                   0/1   Pending   0     Pending   Pending   ann@laptop               primes         2s',
      ].join('\n'),
    );
  });
});

describe('AGE', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-500, '0s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 60_000, '3h1m'],
    [30 * 3600_000, '30h'],
    [75 * 3600_000, '3d3h'],
    [30 * 86400_000, '30d'],
    [(3 * 365 + 5) * 86400_000, '3y5d'],
  ])('%d ms reads %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('-o jsonpath', () => {
  const list = { items: worklists };
  it.each([
    ['{.items[*].metadata.name}', 'primes hosts'],
    ['{.items[0].status.totalItems}', '100000'],
    ['{range .items[*]}{.metadata.name}={.spec.blockSize}{"\\n"}{end}', 'primes=1000\nhosts=10\n'],
    ['names: {.items[?(@.spec.suspend)].metadata.name}', 'names: hosts'],
    ['{.items[1].status}', ''],
  ])('%s', (template, text) => expect(renderJsonPath(template, list)).toBe(text));

  it('refuses a template it cannot read, saying how to write one', () => {
    expect(() => renderJsonPath('{.items', list)).toThrow(
      'invalid jsonpath template "{.items": a { is not closed',
    );
  });
});
