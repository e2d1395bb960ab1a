import type { V1ConfigMap, V1Role } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { WorklistSpec } from '../api/v1alpha1/index.js';
import { ownedObjects, worklistObject, type CreateOptions } from './objects.js';
import { parseParentRef, parseSource, type SourceFlags } from './source.js';

describe("create's item source", () => {
  it.each<{ name: string; flags: SourceFlags; source: WorklistSpec['source'] }>([
    {
      name: '--range A-B is the integers A to B',
      flags: { range: '1-1000' },
      source: { range: { start: 1, end: 1000 } },
    },
    {
      name: '--range takes negative numbers and spaces',
      flags: { range: ' -5 - 5 ' },
      source: { range: { start: -5, end: 5 } },
    },
    {
      name: '--items is the items, trimmed, in order',
      flags: { items: 'a, b ,c' },
      source: { inline: ['a', 'b', 'c'] },
    },
    {
      name: '--from-configmap NAME reads the default key',
      flags: { 'from-configmap': 'hosts' },
      source: { configMap: { name: 'hosts' } },
    },
    {
      name: '--from-configmap NAME/KEY reads that key',
      flags: { 'from-configmap': 'hosts/list' },
      source: { configMap: { name: 'hosts', key: 'list' } },
    },
    {
      name: "--from-file is the ConfigMap create makes for the file's lines, named after the Worklist",
      flags: { 'from-file': 'hosts.txt' },
      source: { configMap: { name: 'primes-items', key: 'items' } },
    },
    {
      name: '--from-worklist NAME is a parent in the same namespace',
      flags: { 'from-worklist': 'top' },
      source: { worklist: { name: 'top' } },
    },
    {
      name: '--from-worklist NS/NAME is a parent in another namespace',
      flags: { 'from-worklist': 'team-a/top' },
      source: { worklist: { name: 'top', namespace: 'team-a' } },
    },
    {
      name: "--from-worklist CONTEXT/NS/NAME is a parent in another context's cluster (the Secret is added by create)",
      flags: { 'from-worklist': 'arn:aws:eks:eu-west-1:1:cluster/prod/team-a/top' },
      source: { worklist: { name: 'top', namespace: 'team-a' } },
    },
  ])('$name', ({ flags, source }) => {
    expect(parseSource(flags, 'primes')).toEqual(source);
  });

  it.each<{ name: string; flags: SourceFlags; message: string; hint: string }>([
    {
      name: '--range that is not A-B',
      flags: { range: '1..10' },
      message: '--range "1..10" is not A-B',
      hint: 'give the first and last item, e.g. --range 1-1000000',
    },
    {
      name: 'an empty --items',
      flags: { items: ' ' },
      message: '--items is empty',
      hint: 'give the items comma-separated, e.g. --items a,b,c',
    },
    {
      name: 'an empty item in --items',
      flags: { items: 'a,,b' },
      message: '--items: item 2 is empty',
      hint: 'remove the extra comma (an item cannot be empty), e.g. --items a,b,c',
    },
    {
      name: 'an item holding a line break',
      flags: { items: 'a,b\nc' },
      message: '--items: item "b\\nc" holds a line break',
      hint: 'an item is one line; put each on its own line in a file and use --from-file',
    },
    {
      name: 'no source flag at all',
      flags: {},
      message: 'no item source given',
      hint: 'give one of --range, --items, --from-file, --from-configmap, --from-worklist',
    },
    {
      name: 'a --from-worklist with an empty part',
      flags: { 'from-worklist': 'team-a/' },
      message: '--from-worklist "team-a/" is not [CONTEXT/]NAMESPACE/NAME',
      hint: 'name the parent Worklist, e.g. --from-worklist team-a/top, or --from-worklist other-cluster/team-a/top',
    },
  ])('refuses $name, saying what to give', ({ flags, message, hint }) => {
    expect(() => parseSource(flags, 'primes')).toThrow(expect.objectContaining({ message, hint }));
  });
});

describe('a --from-worklist parent', () => {
  it.each([
    ['top', { namespace: 'here', name: 'top' }],
    ['team-a/top', { namespace: 'team-a', name: 'top' }],
    ['kind-b/team-a/top', { context: 'kind-b', namespace: 'team-a', name: 'top' }],
    // A context's name may hold slashes: read from the right.
    [
      'arn:aws:eks:eu-west-1:1:cluster/prod/team-a/top',
      { context: 'arn:aws:eks:eu-west-1:1:cluster/prod', namespace: 'team-a', name: 'top' },
    ],
  ])('%s is read from the right', (text, ref) => {
    expect(parseParentRef(text, 'here')).toEqual(ref);
  });

  it.each(['', 'a//b', '/team-a/top'])('refuses %j', (text) => {
    expect(() => parseParentRef(text, 'here')).toThrow('is not [CONTEXT/]NAMESPACE/NAME');
  });
});

describe('a --from-file source', () => {
  it("names the ConfigMap create makes of the file's lines, the one its workers may read", () => {
    const options: CreateOptions = {
      name: 'hosts',
      namespace: 'work',
      source: parseSource({ 'from-file': 'hosts.txt' }, 'hosts'),
      fileItems: ['a', 'b'],
      blockSize: 1,
      workers: 1,
      image: 'debian:12-slim',
      command: ['ping', '{}'],
      jobs: 1,
    };
    const objects = ownedObjects(options, { uid: 'u1' });
    const cm = objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
    const role = objects.find((o) => o.kind === 'Role') as V1Role;
    expect(worklistObject(options).spec.source).toEqual({
      configMap: { name: cm.metadata!.name, key: 'items' },
    });
    expect(cm.data).toEqual({ items: 'a\nb\n' });
    expect(role.rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [cm.metadata!.name],
      verbs: ['get'],
    });
  });
});
