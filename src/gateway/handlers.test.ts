import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { GATEWAY_TOKEN_LABEL } from '../api/names.js';
import type { Block, BlockSpecReport, BlockStatus } from '../api/v1alpha1/index.js';
import type { JsonPatch } from '../kube/teamtask-client.js';
import { claimBlockName, fencePath, GatewayHandlers, openRange } from './handlers.js';

const ready: BlockStatus = { phase: 'Ready', token: 7, index: 20, size: 10, attempt: 1 };

describe("fencePath: where a report's token must still be when it is written", () => {
  it.each([
    { name: "the current range's token", status: ready, token: 7, want: '/status/token' },
    {
      name: "the next range's token (a worker that switched)",
      status: { ...ready, next: { index: 30, size: 10, token: 8 } },
      token: 8,
      want: '/status/next/token',
    },
    { name: 'a token the Block no longer holds is stale', status: ready, token: 6, want: undefined },
    { name: 'a token it never held is stale', status: ready, token: 1007, want: undefined },
    {
      name: 'a Block never given a range may say it lives with token 0',
      status: { phase: 'Pending' } as BlockStatus,
      token: 0,
      want: 'none',
    },
    {
      name: 'but not report on a range',
      status: { phase: 'Pending' } as BlockStatus,
      token: 3,
      want: undefined,
    },
    {
      name: 'a Block with a range may not be written with token 0',
      status: ready,
      token: 0,
      want: undefined,
    },
  ])('$name', ({ status, token, want }) => {
    expect(fencePath(status, token)).toBe(want);
  });
});

describe('openRange: what a claim hands out', () => {
  it.each([
    {
      name: 'the current range',
      status: ready,
      report: undefined,
      want: { token: 7, index: 20, size: 10, attempt: 1 },
    },
    {
      name: 'the current range with progress reported',
      status: ready,
      report: { token: 7, done: '20-24' },
      want: { token: 7 },
    },
    {
      name: 'nothing while the range is reported complete (the controller has not folded it yet)',
      status: ready,
      report: { token: 7, complete: true },
      want: undefined,
    },
    {
      name: 'nothing while it is released',
      status: ready,
      report: { token: 7, release: true },
      want: undefined,
    },
    {
      name: 'the new range once the controller moved on',
      status: { ...ready, token: 8, index: 30 },
      report: { token: 7, complete: true },
      want: { token: 8, index: 30 },
    },
    {
      name: 'nothing while asked to yield',
      status: { ...ready, yieldFrom: 25 },
      report: undefined,
      want: undefined,
    },
    {
      name: 'nothing while Pending',
      status: { phase: 'Pending' } as BlockStatus,
      report: undefined,
      want: undefined,
    },
    {
      name: 'nothing when Lost',
      status: { ...ready, phase: 'Lost' } as BlockStatus,
      report: undefined,
      want: undefined,
    },
  ])('$name', ({ status, report, want }) => {
    const got = openRange(status, report);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(want);
  });
});

describe('claimBlockName', () => {
  it('is one Block per token and worker, the same on every claim', () => {
    const c = { token: 'ci', namespace: 'team', worklist: 'primes' };
    expect(claimBlockName(c, 'w1')).toMatch(/^primes-gw-[0-9a-f]{10}$/);
    expect(claimBlockName(c, 'w1')).toBe(claimBlockName(c, 'w1'));
    expect(claimBlockName(c, 'w2')).not.toBe(claimBlockName(c, 'w1'));
    expect(claimBlockName({ ...c, token: 'other' }, 'w1')).not.toBe(claimBlockName(c, 'w1'));
  });
});

describe('GatewayHandlers.report: fenced writes against a controller that moves the Block on', () => {
  const caller = { token: 'ci', namespace: 'team', worklist: 'primes' };
  /** A Block store whose status the "controller" changes right after the gateway's first read. */
  function store(first: BlockStatus, then: BlockStatus, refuse?: string) {
    let status = first;
    let reads = 0;
    const written: BlockSpecReport[] = [];
    const block = (): Block => ({
      apiVersion: 'teamtask.dev/v1alpha1',
      kind: 'Block',
      metadata: { name: 'b', labels: { [GATEWAY_TOKEN_LABEL]: 'ci' } },
      spec: { worklist: 'primes' },
      status,
    });
    const blocks = {
      get: async () => {
        const b = block();
        if (++reads === 1) status = then; // the controller writes between our read and our write
        return b;
      },
      patch: async (_name: string, ops: JsonPatch) => {
        // The API server refusing the report itself (a field the CRD does not take).
        if (refuse) throw new ApiException(422, refuse, '{}', {});
        for (const op of ops) {
          if (op.op !== 'test') continue;
          const at = op.path === '/status/token' ? status.token : status.next?.token;
          if (at !== op.value) throw new ApiException(422, 'test failed', '{}', {});
        }
        written.push(ops.at(-1)!.value as BlockSpecReport);
        return block();
      },
    };
    const client = { blocks: () => blocks, worklists: () => ({}) } as unknown as ConstructorParameters<
      typeof GatewayHandlers
    >[3];
    return {
      handlers: new GatewayHandlers(
        new KubeConfig(),
        () => {},
        async () => {},
        client,
      ),
      written,
    };
  }

  it("writes a report on the next range that became current between the gateway's read and its write", async () => {
    const s = store({ ...ready, next: { index: 30, size: 10, token: 8 } }, { ...ready, token: 8, index: 30 });
    await s.handlers.report(caller, 'b', { token: 8, done: '30-31' });
    expect(s.written).toEqual([{ token: 8, done: '30-31' }]);
  });

  it('refuses (409) a report whose range the Block holds nowhere once read again', async () => {
    const s = store(ready, { ...ready, token: 9, index: 40 });
    await expect(s.handlers.report(caller, 'b', { token: 7, done: '20' })).rejects.toMatchObject({
      status: 409,
    });
    expect(s.written).toEqual([]);
  });

  it('answers 400, not 409, when the API server refuses the report itself (the token did not move)', async () => {
    const s = store(ready, ready, 'spec.report.rangeSize: Invalid value: 0');
    await expect(s.handlers.report(caller, 'b', { token: 7, done: '20' })).rejects.toMatchObject({
      status: 400,
    });
    expect(s.written).toEqual([]);
  });

  it.each([
    {
      name: 'Lost (its lease ran out: no numbers)',
      status: { ...ready, phase: 'Lost', index: 'Pending', size: 'Pending' },
    },
    { name: 'Released', status: { ...ready, phase: 'Released' } },
  ])('refuses (409, not 500) to complete the range of a Block that is $name', async ({ status }) => {
    const s = store(status as BlockStatus, status as BlockStatus);
    await expect(s.handlers.complete(caller, { block: 'b', token: ready.token! })).rejects.toMatchObject({
      status: 409,
    });
    expect(s.written).toEqual([]);
  });
});
