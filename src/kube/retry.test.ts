import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { retrying } from './retry.js';

const api = (code: number, headers: Record<string, string> = {}) =>
  new ApiException(code, 'x', '{"message":"storage is (re)initializing"}', headers);
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

/** Runs `retrying` over a script of failures, on a fake clock; returns the waits it made. */
async function script(failures: unknown[], deadlineMs?: number) {
  let t = 0;
  const waits: number[] = [];
  let call = 0;
  const result = await retrying(
    'get',
    async () => {
      const f = failures[call++];
      if (f) throw f;
      return 'ok';
    },
    { deadlineMs, now: () => t, sleep: async (ms) => void (waits.push(ms), (t += ms)) },
  ).catch((err: unknown) => err);
  return { result, waits, calls: call };
}

describe('retrying', () => {
  it.each([
    { name: 'retries 429 with backoff', failures: [api(429), api(429)], waits: [250, 500] },
    { name: 'honours Retry-After', failures: [api(429, { 'retry-after': '2' })], waits: [2000] },
    { name: 'retries a 503', failures: [api(503)], waits: [250] },
    { name: 'retries a refused connection', failures: [refused()], waits: [250] },
    {
      name: 'retries a connection not accepted in time (a stopped API server)',
      failures: [
        Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } }),
      ],
      waits: [250],
    },
  ])('$name', async ({ failures, waits }) => {
    const run = await script(failures);
    expect(run.result).toBe('ok');
    expect(run.waits).toEqual(waits);
  });

  it.each([
    { name: 'a 404', err: api(404) },
    { name: 'a 409', err: api(409) },
    { name: 'a 403', err: api(403) },
    { name: 'a bug', err: new Error('boom') },
  ])('throws $name at once', async ({ err }) => {
    const run = await script([err]);
    expect(run.result).toBe(err);
    expect(run.calls).toBe(1);
  });

  it('waits out what the caller says, with its own backoff and words', async () => {
    const quota = api(403);
    const lines: string[] = [];
    let calls = 0;
    const waits: number[] = [];
    const result = await retrying(
      'create',
      async () => {
        if (calls++ < 4) throw quota;
        return 'ok';
      },
      {
        retryable: (err) => err === quota,
        firstDelayMs: 1000,
        maxDelayMs: 4000,
        describe: (_err, ms) => `quota; retrying in ${ms / 1000} s`,
        log: (l) => lines.push(l),
        sleep: async (ms) => void waits.push(ms),
      },
    );
    expect(result).toBe('ok');
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
    expect(lines[0]).toBe('quota; retrying in 1 s');
  });

  it('gives up at the deadline with the last error', async () => {
    const run = await script(
      Array.from({ length: 50 }, () => api(503)),
      5000,
    );
    expect((run.result as ApiException<unknown>).code).toBe(503);
    expect(run.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5000);
  });

  it('gives up rather than wait a Retry-After past the deadline', async () => {
    const run = await script([api(429, { 'retry-after': '30' })], 10_000);
    expect((run.result as ApiException<unknown>).code).toBe(429);
    expect(run.waits).toEqual([]);
  });
});
