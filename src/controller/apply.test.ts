import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Block, BlockSpecReport, Worklist } from '../api/v1alpha1/index.js';
import type { ResourceClient } from '../kube/teamtask-client.js';
import { Applier } from './apply.js';
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
