import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BLOCK_FINALIZER, type Block, type Worklist } from '../api/v1alpha1/index.js';
import { POD_LABEL, WORKLIST_LABEL } from '../api/names.js';
import type { JsonPatch } from '../kube/teamtask-client.js';
import { HintedError } from '../kube/errors.js';
import {
  BlockClient,
  BlockGone,
  ItemsOutOfScope,
  type BlockClientOptions,
  type ItemReaders,
} from './block-client.js';

const apiError = (code: number, message = 'x') =>
  new ApiException(code, 'x', JSON.stringify({ kind: 'Status', message }), {});

const worklist: Worklist = {
  apiVersion: 'teamtask.dev/v1alpha1',
  kind: 'Worklist',
  metadata: { name: 'primes', namespace: 'ns', uid: 'uid-1' },
  spec: { source: { configMap: { name: 'primes-items' } }, blockSize: 10 },
};

/** Another worker's, or our pod's, Block of the same name. */
function existing(o: { worklist?: string; uid?: string; pod?: string; deleting?: boolean } = {}): Block {
  return {
    apiVersion: 'teamtask.dev/v1alpha1',
    kind: 'Block',
    metadata: {
      name: 'b',
      labels: o.pod ? { [POD_LABEL]: o.pod } : {},
      ownerReferences: [
        { apiVersion: 'teamtask.dev/v1alpha1', kind: 'Worklist', name: 'primes', uid: o.uid ?? 'uid-1' },
      ],
      ...(o.deleting ? { deletionTimestamp: new Date() as never } : {}),
    },
    spec: { worklist: o.worklist ?? 'primes', worker: 'someone', report: { token: 3 } },
  };
}

/** A namespace's Blocks, the Worklist and its ConfigMap, with errors to throw on the next calls. */
class FakeCluster {
  blocks = new Map<string, Block>();
  worklistThere = true;
  /** Worklists of other namespaces, by `namespace/name`: secondaries' parents. */
  parents = new Map<string, Worklist>();
  /** The lines of ConfigMap ns/primes-items. */
  items = 'a\nb\n\nc\n';
  /** Other clusters, by the `namespace/name` of the kubeconfig Secret here that reaches them. */
  elsewhere = new Map<string, FakeCluster>();
  created: Block[] = [];
  merges: unknown[] = [];
  patches: JsonPatch[] = [];
  sleeps: number[] = [];
  createErrors: unknown[] = [];
  getErrors: unknown[] = [];
  deleteErrors: unknown[] = [];
  /** After a delete, how many reads still find the Block (its finalizer not yet let go). */
  readsUntilGone = 0;
  /** Called at every wait: lets the world move meanwhile. */
  onSleep?: () => void;
  private generated = 0;

  client(o: Partial<BlockClientOptions> = {}) {
    const log: string[] = [];
    const client = new BlockClient(
      { namespace: 'ns', worklist: 'primes', identity: 'me', log: (l) => log.push(l), ...o },
      {
        blocks: {
          get: async (name) => {
            const err = this.getErrors.shift();
            if (err) throw err;
            const b = this.blocks.get(name);
            if (!b) throw apiError(404);
            return b;
          },
          create: async (body) => {
            const err = this.createErrors.shift();
            if (err) throw err;
            const name = body.metadata.name ?? `${body.metadata.generateName}${++this.generated}`;
            if (this.blocks.has(name)) throw apiError(409);
            const b = { ...body, metadata: { ...body.metadata, name } };
            this.created.push(b);
            this.blocks.set(name, b);
            return b;
          },
          merge: async (name, body) => {
            this.merges.push(body);
            return this.blocks.get(name)!;
          },
          patch: async (name, ops) => {
            this.patches.push(ops);
            return this.blocks.get(name)!;
          },
          delete: async (name) => {
            const err = this.deleteErrors.shift();
            if (err) throw err;
            if (!this.blocks.has(name)) throw apiError(404);
            if (this.readsUntilGone === 0) this.blocks.delete(name);
          },
        },
        worklists: {
          get: async () => {
            if (!this.worklistThere) throw apiError(404);
            return worklist;
          },
        },
        ...this.readers(),
        sleep: async (ms) => {
          this.sleeps.push(ms);
          this.onSleep?.();
          if (this.readsUntilGone > 0 && --this.readsUntilGone === 0) this.blocks.delete('b');
        },
      },
    );
    return { client, log };
  }

  /** The reads of items this cluster serves. */
  readers(): ItemReaders {
    return {
      readWorklistIn: async (namespace, name) => {
        const w = this.parents.get(`${namespace}/${name}`);
        if (!w) throw apiError(404);
        return w;
      },
      readConfigMap: async (name, namespace): Promise<V1ConfigMap> => {
        if (name !== 'primes-items' || namespace !== 'ns') throw apiError(404);
        return { data: { items: this.items } };
      },
      otherCluster: async (namespace, secret) => {
        const there = this.elsewhere.get(`${namespace}/${secret}`);
        if (!there) throw new HintedError(`Secret ${namespace}/${secret} is not found`, 'create it');
        return there.readers();
      },
    };
  }
}

const never = new AbortController().signal;

describe('the Block client: creating the Block', () => {
  it('creates a Block with the finalizer, its labels, and an owner reference to the Worklist', async () => {
    const cluster = new FakeCluster();
    const { client } = cluster.client({ block: 'b', pod: 'pod-1' });
    await client.create(worklist, never);
    expect(client.name).toBe('b');
    const b = cluster.created[0]!;
    expect(b.metadata.finalizers).toEqual([BLOCK_FINALIZER]);
    expect(b.metadata.labels).toEqual({ [WORKLIST_LABEL]: 'primes', [POD_LABEL]: 'pod-1' });
    expect(b.metadata.ownerReferences).toEqual([
      { apiVersion: 'teamtask.dev/v1alpha1', kind: 'Worklist', name: 'primes', uid: 'uid-1' },
    ]);
    expect(b.spec).toEqual({ worklist: 'primes', worker: 'me' });
  });

  it('says in its Block that it runs items one by one, when it does (part of a running range can move)', async () => {
    const cluster = new FakeCluster();
    await cluster.client({ block: 'b', splittable: true }).client.create(worklist, never);
    expect(cluster.created[0]!.spec).toEqual({ worklist: 'primes', worker: 'me', splittable: true });
  });

  it.each([
    {
      case: 'takes the name the API server generated from the prefix',
      prefix: 'primes-host-',
      name: 'primes-host-1',
    },
    { case: 'generates from the Worklist name by default', prefix: undefined, name: 'primes-1' },
  ])('$case', async ({ prefix, name }) => {
    const cluster = new FakeCluster();
    const { client } = cluster.client({ blockPrefix: prefix });
    expect(client.name).toBe('');
    await client.create(worklist, never);
    expect(client.name).toBe(name);
  });

  it('tries again when a generated name happened to be taken', async () => {
    const cluster = new FakeCluster();
    cluster.createErrors = [apiError(409)];
    const { client } = cluster.client();
    await client.create(worklist, never);
    expect(cluster.created).toHaveLength(1);
  });

  it.each([
    {
      case: "takes over its own pod's Block (a restarted container), clearing the old report",
      block: existing({ pod: 'pod-1' }),
      pod: 'pod-1',
      error: undefined,
    },
    {
      case: 'refuses a Block of another Worklist',
      block: existing({ worklist: 'other', pod: 'pod-1' }),
      pod: 'pod-1',
      error: /^Block b belongs to Worklist other, not primes$/,
    },
    {
      case: 'refuses a Block of an earlier Worklist of the same name',
      block: existing({ uid: 'uid-0', pod: 'pod-1' }),
      pod: 'pod-1',
      error: /belongs to an earlier Worklist primes/,
    },
    {
      case: "refuses another pod's Block",
      block: existing({ pod: 'pod-2' }),
      pod: 'pod-1',
      error: /^Block b already exists \(worker someone\): another worker may be using it$/,
    },
    {
      case: 'refuses a Block of the same name outside a pod',
      block: existing({}),
      pod: undefined,
      error: /^Block b already exists/,
    },
  ])('$case', async ({ block, pod, error }) => {
    const cluster = new FakeCluster();
    cluster.blocks.set('b', block);
    const { client } = cluster.client({ block: 'b', pod });
    const creating = client.create(worklist, never);
    if (error) {
      await expect(creating).rejects.toThrow(error);
      expect(cluster.merges).toEqual([]);
    } else {
      await creating;
      expect(cluster.merges).toEqual([{ spec: { worker: 'me', report: null, splittable: null } }]);
    }
  });

  it('waits out a Block of the same name that is being deleted, then creates its own', async () => {
    const cluster = new FakeCluster();
    cluster.blocks.set('b', existing({ deleting: true }));
    cluster.onSleep = () => cluster.blocks.delete('b');
    const { client, log } = cluster.client({ block: 'b' });
    await client.create(worklist, never);
    expect(cluster.sleeps).toEqual([500]);
    expect(cluster.created).toHaveLength(1);
    expect(cluster.merges).toEqual([]);
    expect(log).toEqual(['the previous Block b is being deleted; waiting for it to go']);
  });

  it('waits out a ResourceQuota, backing off from 1 s to 10 s', async () => {
    const cluster = new FakeCluster();
    cluster.createErrors = [
      ...Array.from({ length: 5 }, () => apiError(403, 'exceeded quota: blocks, requested: count/blocks=1')),
      apiError(403, 'status unknown for quota: blocks'),
    ];
    const { client, log } = cluster.client();
    await client.create(worklist, never);
    expect(cluster.sleeps).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(log[0]).toBe(
      'a ResourceQuota refuses the Block (exceeded quota: blocks, requested: count/blocks=1); retrying in 1 s',
    );
    expect(cluster.created).toHaveLength(1);
  });

  it.each([
    { case: 'gives up on a ResourceQuota once stopped', message: 'exceeded quota: blocks', aborted: true },
    {
      case: 'does not wait out a refusal that is not a quota',
      message: 'blocks is forbidden',
      aborted: false,
    },
  ])('$case', async ({ message, aborted }) => {
    const cluster = new FakeCluster();
    cluster.createErrors = [apiError(403, message)];
    const stop = new AbortController();
    if (aborted) stop.abort();
    const { client } = cluster.client();
    await expect(client.create(worklist, stop.signal)).rejects.toBeInstanceOf(ApiException);
    expect(cluster.sleeps).toEqual([]);
  });
});

describe('the Block client: reading, reporting, deleting', () => {
  it('retries a call the API server could not serve, as client-go does', async () => {
    const cluster = new FakeCluster();
    cluster.blocks.set('b', existing());
    cluster.getErrors = [apiError(503), apiError(429)];
    const { client } = cluster.client({ block: 'b' });
    expect((await client.get()).metadata.name).toBe('b');
    expect(cluster.sleeps).toEqual([250, 500]);
  });

  it('calls a Block that is not there BlockGone', async () => {
    const { client } = new FakeCluster().client({ block: 'b' });
    await expect(client.get()).rejects.toBeInstanceOf(BlockGone);
  });

  it('replaces the whole report with a JSON patch (a merge would keep an old complete or release)', async () => {
    const cluster = new FakeCluster();
    const { client } = cluster.client({ block: 'b' });
    await client.writeReport({ token: 5, done: '0-3' });
    expect(cluster.patches).toEqual([
      [{ op: 'add', path: '/spec/report', value: { token: 5, done: '0-3' } }],
    ]);
  });

  it.each([
    { case: 'deletes its Block and waits until the controller let it go', reads: 3, sleeps: 3, log: [] },
    {
      case: 'stops waiting after 10 s, saying so',
      reads: 1000,
      sleeps: 40,
      log: ['block b is still there after 10 s (is the controller running?); exiting anyway'],
    },
  ])('$case', async ({ reads, sleeps, log: want }) => {
    const cluster = new FakeCluster();
    cluster.blocks.set('b', existing());
    cluster.readsUntilGone = reads;
    const { client, log } = cluster.client({ block: 'b' });
    await client.delete();
    expect(cluster.sleeps).toEqual(Array.from({ length: sleeps }, () => 250));
    expect(log).toEqual(want);
  });

  it.each([
    { case: 'takes a Block already gone as deleted', error: apiError(404), log: [] },
    {
      case: 'says, without throwing, when it could not delete its Block',
      error: apiError(403, 'no'),
      log: ['could not delete block b: forbidden: no'],
    },
  ])('$case', async ({ error, log: want }) => {
    const cluster = new FakeCluster();
    cluster.blocks.set('b', existing());
    cluster.deleteErrors = [error];
    const { client, log } = cluster.client({ block: 'b' });
    await client.delete();
    expect(log).toEqual(want);
    expect(cluster.sleeps).toEqual([]);
  });

  it.each([
    {
      case: 'says the Worklist was deleted when it is gone',
      there: false,
      message: /^Worklist primes was deleted/,
    },
    {
      case: 'says the Block was deleted when the Worklist is there',
      there: true,
      message: /^Block b was deleted while/,
    },
  ])('$case', async ({ there, message }) => {
    const cluster = new FakeCluster();
    cluster.worklistThere = there;
    const { client } = cluster.client({ block: 'b' });
    expect((await client.goneReason()).message).toMatch(message);
  });

  it('reads the Worklist, and says in a line when it does not exist', async () => {
    const cluster = new FakeCluster();
    const { client } = cluster.client();
    expect(await client.readWorklist()).toBe(worklist);
    cluster.worklistThere = false;
    await expect(client.readWorklist()).rejects.toThrow('worklist "primes" not found in namespace ns');
  });

  it("reads a ConfigMap source's items, one a line", async () => {
    const { client } = new FakeCluster().client();
    const fromConfigMap: Worklist = {
      ...worklist,
      spec: { ...worklist.spec, source: { configMap: { name: 'primes-items' } } },
    };
    expect(await client.readItems(fromConfigMap)).toEqual({
      source: { configMap: { name: 'primes-items' } },
      lines: ['a', 'b', 'c'],
    });
  });

  it("reads a secondary's items from its parent, up the tree, in the parent's namespace", async () => {
    const cluster = new FakeCluster();
    const child = (
      name: string,
      namespace: string,
      parent: { name: string; namespace?: string },
    ): Worklist => ({
      ...worklist,
      metadata: { name, namespace },
      spec: { ...worklist.spec, source: { worklist: parent } },
    });
    const top: Worklist = {
      ...worklist,
      metadata: { name: 'top', namespace: 'ns' },
      spec: { ...worklist.spec, source: { configMap: { name: 'primes-items' } } },
    };
    cluster.parents.set('ns/top', top);
    cluster.parents.set('mid/middle', child('middle', 'mid', { name: 'top', namespace: 'ns' }));
    const { client } = cluster.client();
    expect(await client.readItems(child('leaf', 'leaf', { name: 'middle', namespace: 'mid' }))).toEqual({
      source: top.spec.source,
      lines: ['a', 'b', 'c'],
    });
    await expect(client.readItems(child('leaf', 'leaf', { name: 'nope', namespace: 'mid' }))).rejects.toThrow(
      'worklist "nope" not found in namespace mid',
    );
    cluster.parents.set('mid/loop', child('loop', 'mid', { name: 'leaf', namespace: 'leaf' }));
    await expect(client.readItems(child('leaf', 'leaf', { name: 'loop', namespace: 'mid' }))).rejects.toThrow(
      /its own parent's parent/,
    );
  });

  it("reads, for a caller scoped to a namespace (the gateway's), no parent outside it and no ConfigMap the caller may not read", async () => {
    const cluster = new FakeCluster();
    const { client } = cluster.client();
    const inNs = (source: Worklist['spec']['source']): Worklist => ({
      ...worklist,
      metadata: { name: 'leaf', namespace: 'ns' },
      spec: { ...worklist.spec, source },
    });
    const top: Worklist = {
      ...worklist,
      metadata: { name: 'top', namespace: 'ns' },
      spec: { ...worklist.spec, source: { configMap: { name: 'primes-items' } } },
    };
    cluster.parents.set('ns/top', top);
    const range = { range: { start: 0, end: 9 } };
    cluster.parents.set('other/top', {
      ...top,
      metadata: { name: 'top', namespace: 'other' },
      spec: { ...top.spec, source: range },
    });
    const may = (allowed: boolean) => ({ namespace: 'ns', mayReadConfigMap: async () => allowed });
    await expect(client.readItems(inNs({ worklist: { name: 'top' } }), may(true))).resolves.toMatchObject({
      lines: ['a', 'b', 'c'],
    });
    await expect(client.readItems(inNs({ configMap: { name: 'gone-items' } }), may(true))).rejects.toThrow(
      'the items of worklist primes are in ConfigMap ns/gone-items, which does not exist',
    );
    await expect(client.readItems(inNs({ worklist: { name: 'top' } }), may(false))).rejects.toThrow(
      'the items of worklist primes are in ConfigMap ns/primes-items, which the caller may not read',
    );
    await expect(
      client.readItems(inNs({ worklist: { name: 'top', namespace: 'other' } }), may(true)),
    ).rejects.toThrow(ItemsOutOfScope);
    await expect(
      client.readItems(inNs({ worklist: { name: 'top', kubeconfigSecret: 'far' } }), may(true)),
    ).rejects.toThrow(/in another cluster, outside namespace ns/);
    // Unscoped (a worker's own credential), the parent elsewhere is read.
    await expect(client.readItems(inNs({ worklist: { name: 'top', namespace: 'other' } }))).resolves.toEqual({
      source: range,
    });
  });

  it('reads the items of a parent in another cluster through the kubeconfig Secret the secondary names, and says when it is missing', async () => {
    const here = new FakeCluster();
    const there = new FakeCluster();
    there.items = 'x\ny\n';
    const top: Worklist = {
      ...worklist,
      metadata: { name: 'top', namespace: 'ns' },
      spec: { ...worklist.spec, source: { configMap: { name: 'primes-items' } } },
    };
    there.parents.set('ns/top', top);
    // The same names here: only the other cluster's may be read.
    here.parents.set('ns/top', { ...top, spec: { ...top.spec, source: { range: { start: 1, end: 3 } } } });
    here.elsewhere.set('leaf/to-top', there);
    const secondary = (secret: string): Worklist => ({
      ...worklist,
      metadata: { name: 'leaf', namespace: 'leaf' },
      spec: {
        ...worklist.spec,
        source: { worklist: { name: 'top', namespace: 'ns', kubeconfigSecret: secret } },
      },
    });
    const { client } = here.client();
    expect(await client.readItems(secondary('to-top'))).toEqual({
      source: top.spec.source,
      lines: ['x', 'y'],
    });
    await expect(client.readItems(secondary('nope'))).rejects.toThrow('Secret leaf/nope is not found');
  });

  it("reads them through the read-only Secret when the secondary names one, never through the controller's", async () => {
    const here = new FakeCluster();
    const there = new FakeCluster();
    there.items = 'x\n';
    const top: Worklist = {
      ...worklist,
      metadata: { name: 'top', namespace: 'ns' },
      spec: { ...worklist.spec, source: { configMap: { name: 'primes-items' } } },
    };
    there.parents.set('ns/top', top);
    // Only the read-only one is there: reading through the other would fail.
    here.elsewhere.set('leaf/to-top-items', there);
    const { client } = here.client();
    const leaf: Worklist = {
      ...worklist,
      metadata: { name: 'leaf', namespace: 'leaf' },
      spec: {
        ...worklist.spec,
        source: {
          worklist: {
            name: 'top',
            namespace: 'ns',
            kubeconfigSecret: 'to-top',
            itemsKubeconfigSecret: 'to-top-items',
          },
        },
      },
    };
    expect(await client.readItems(leaf)).toEqual({ source: top.spec.source, lines: ['x'] });
  });
});
