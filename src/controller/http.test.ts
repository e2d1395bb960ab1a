import { describe, expect, it } from 'vitest';
import { readiness } from './http.js';

describe('readiness', () => {
  it.each([
    {
      name: 'a leader whose caches are synced is ready',
      leading: true,
      synced: true,
      reaches: true,
      ok: true,
    },
    {
      name: 'a leader still syncing its caches is not',
      leading: true,
      synced: false,
      reaches: true,
      ok: false,
    },
    {
      name: 'a standby that reaches the API server is ready',
      leading: false,
      synced: false,
      reaches: true,
      ok: true,
    },
    {
      name: 'a standby that cannot reach it is not',
      leading: false,
      synced: false,
      reaches: false,
      ok: false,
    },
  ])('$name', ({ leading, synced, reaches, ok }) => {
    expect(readiness(leading, synced, reaches).ok).toBe(ok);
  });
});
