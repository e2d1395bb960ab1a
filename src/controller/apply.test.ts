import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Block, BlockSpecReport, Worklist } from '../api/v1alpha1/index.js';
import type { ResourceClient } from '../kube/teamtask-client.js';
import { Applier, NotLeader } from './apply.js';
import { WriteExpectations } from './expectations.js';
import { Metrics } from './metrics.js';

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});
const applier = () =>
  new Applier(
    kc,
    new WriteExpectations(),
    new Metrics(() => ({ queueDepth: 0, worklists: 0, leader: true })),
    { log: () => {}, now: () => 0 },
  );
const worklist = (name: string, namespace: string): Worklist =>
  ({ metadata: { name, namespace, uid: `uid-${name}` }, spec: {} }) as unknown as Worklist;

/** The parent namespace's Blocks: what was created and patched; `exists` answers a create with 409. */
function blocks(exists: boolean) {
  const calls: { create: Block[]; patch: unknown[] } = { create: [], patch: [] };
  const client = {
    create: (b: Block) => {
      calls.create.push(b);
      if (exists) return Promise.reject(new ApiException(409, 'AlreadyExists', '{}', {}));
      return Promise.resolve(b);
    },
    patch: (_: string, ops: unknown) => {
      calls.patch.push(ops);
      return Promise.resolve({} as Block);
    },
  } as unknown as ResourceClient<Block>;
  return { calls, client };
}

/** A secondary's pass that makes its Block (it has none in the cache) with `report` to write. */
const createWith = (client: ResourceClient<Block>, report: BlockSpecReport) =>
  applier().writeUpstream(worklist('s', 'a'), worklist('p', 'b'), client, { create: true, report }, false);

describe("Applier.writeUpstream: a secondary's Block in its parent's namespace", () => {
  const ask: BlockSpecReport = { token: 0, rangeSize: 4000 };

  it('makes the Block with the range size it asks for, in one write', async () => {
    const { calls, client } = blocks(false);
    await createWith(client, ask);
    expect(calls.create.map((b) => b.spec.report)).toEqual([ask]);
    expect(calls.patch).toEqual([]);
  });

  it('leaves the report of a Block that is there already (being deleted, its last report not folded) as it is', async () => {
    const { calls, client } = blocks(true);
    await createWith(client, ask);
    expect(calls.create).toHaveLength(1);
    expect(calls.patch).toEqual([]);
  });

  it('writes a report on a range after a create that found the Block there', async () => {
    const { calls, client } = blocks(true);
    const report: BlockSpecReport = { token: 7, done: '0-9', failed: '' };
    await createWith(client, report);
    expect(calls.patch).toEqual([[{ op: 'add', path: '/spec/report', value: report }]]);
  });
});

describe('Applier.removeFinalizers: the Blocks of workers that left, several at once', () => {
  const finalized = (name: string): Block =>
    ({
      metadata: {
        name,
        namespace: 'a',
        resourceVersion: `rv-${name}`,
        finalizers: ['teamtask.dev/ledger', 'x'],
      },
      spec: { worklist: 'w' },
    }) as unknown as Block;
  const names = Array.from({ length: 20 }, (_, i) => `b${i}`);
  const all = names.map(finalized);

  /** An Applier whose Block patches answer `answer(name)` (undefined: written) a tick later. */
  function world(answer: (name: string) => number | undefined = () => undefined, mayWrite = () => true) {
    const patched: { name: string; ops: unknown }[] = [];
    let inFlight = 0;
    let most = 0;
    const client = {
      patch: async (name: string, ops: unknown) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        const code = answer(name);
        if (code) throw new ApiException(code, 'refused', '{}', {});
        patched.push({ name, ops });
        return {} as Block;
      },
    };
    const a = new Applier(
      kc,
      new WriteExpectations(),
      new Metrics(() => ({ queueDepth: 0, worklists: 0, leader: true })),
      {
        log: () => {},
        now: () => 0,
        mayWrite,
      },
    );
    (a as unknown as { client: { blocks: () => typeof client } }).client = { blocks: () => client };
    return { a, patched, most: () => most };
  }

  it('takes only our finalizer off each, testing the resourceVersion it read, 8 at once at most', async () => {
    const w = world();
    await expect(w.a.removeFinalizers(all, names)).resolves.toBe(true);
    expect(w.patched.map((p) => p.name).sort()).toEqual([...names].sort());
    expect(w.patched.find((p) => p.name === 'b3')!.ops).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: 'rv-b3' },
      { op: 'replace', path: '/metadata/finalizers', value: ['x'] },
    ]);
    expect(w.most()).toBe(8);
  });

  it.each([
    { name: 'a Block changed since it was read (the test op fails: 422)', code: 422, unchanged: false },
    { name: 'a Block changed since it was read (read as a conflict: 409)', code: 409, unchanged: false },
    { name: 'a Block gone already (404)', code: 404, unchanged: true },
  ])('goes on with the others past $name', async ({ code, unchanged }) => {
    const w = world((name) => (name === 'b5' ? code : undefined));
    await expect(w.a.removeFinalizers(all, names)).resolves.toBe(unchanged);
    expect(w.patched.map((p) => p.name).sort()).toEqual(names.filter((n) => n !== 'b5').sort());
  });

  it('writes nothing more once it is no longer the leader, and says so', async () => {
    let writes = 0;
    const w = world(undefined, () => writes++ < 10);
    await expect(w.a.removeFinalizers(all, names)).rejects.toThrow(NotLeader);
    expect(w.patched).toHaveLength(10);
  });

  it('skips a Block without our finalizer', async () => {
    const w = world();
    const theirs = { ...finalized('b0'), metadata: { ...finalized('b0').metadata, finalizers: ['x'] } };
    await expect(w.a.removeFinalizers([theirs], ['b0'])).resolves.toBe(true);
    expect(w.patched).toEqual([]);
  });
});
