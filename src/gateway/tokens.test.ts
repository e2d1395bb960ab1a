import { describe, expect, it } from 'vitest';
import {
  authenticate,
  authorize,
  decodeRecord,
  encodeRecord,
  mintToken,
  parseToken,
  type TokenRecord,
} from './tokens.js';

const now = new Date('2026-12-04T00:00:00Z');
const minted = mintToken('ci');
const record: TokenRecord = {
  name: 'ci',
  namespace: 'team',
  worklist: 'primes',
  role: 'work',
  sha256: minted.sha256,
  created: '2026-12-03T00:00:00Z',
  expires: '2026-12-05T00:00:00Z',
};
const lookup = (name: string) => (name === 'ci' ? record : undefined);

describe('gateway tokens', () => {
  it('mints ttk_<name>_<secret>, and stores only the hash of the secret', () => {
    expect(minted.token).toMatch(/^ttk_ci_[A-Za-z0-9_-]{43}$/);
    expect(minted.token).not.toContain(minted.sha256);
    expect(parseToken(minted.token)).toEqual({ name: 'ci', secret: minted.token.slice('ttk_ci_'.length) });
    expect(mintToken('ci').token).not.toBe(minted.token);
  });

  it.each([
    { name: 'no Authorization header', header: undefined, want: 'missing' },
    { name: 'not a bearer token', header: `Basic ${minted.token}`, want: 'malformed' },
    { name: 'not a Teamtask token', header: 'Bearer abc.def.ghi', want: 'malformed' },
    {
      name: 'a name that is not a DNS label',
      header: 'Bearer ttk_CI_aaaaaaaaaaaaaaaaaaaa',
      want: 'malformed',
    },
    {
      name: 'a token of no record (never made, or revoked)',
      header: `Bearer ${minted.token.replace('ttk_ci_', 'ttk_cd_')}`,
      want: 'unknown',
    },
    { name: 'a wrong secret', header: `Bearer ${mintToken('ci').token}`, want: 'unknown' },
  ])('refuses $name', ({ header, want }) => {
    expect(authenticate(header, lookup, now)).toEqual({ ok: false, why: want });
  });

  it('refuses a token past its expiry, and accepts it before', () => {
    const header = `Bearer ${minted.token}`;
    expect(authenticate(header, lookup, now)).toEqual({ ok: true, record });
    expect(authenticate(header, lookup, new Date('2026-12-05T00:00:00Z'))).toEqual({
      ok: false,
      why: 'expired',
    });
  });

  it.each([
    {
      name: 'a work token on its Worklist may work',
      rec: record,
      target: 'team/primes',
      needs: 'work',
      allowed: true,
    },
    {
      name: 'a work token may read its Worklist',
      rec: record,
      target: 'team/primes',
      needs: 'read',
      allowed: true,
    },
    {
      name: 'a token of one Worklist may not touch another',
      rec: record,
      target: 'team/other',
      needs: 'read',
      allowed: false,
    },
    {
      name: 'a token of one namespace may not touch another',
      rec: record,
      target: 'elsewhere/primes',
      needs: 'read',
      allowed: false,
    },
    {
      name: 'a namespace token may work on any Worklist of it',
      rec: { ...record, worklist: undefined },
      target: 'team/other',
      needs: 'work',
      allowed: true,
    },
    {
      name: 'a read-only token may read',
      rec: { ...record, role: 'read' as const },
      target: 'team/primes',
      needs: 'read',
      allowed: true,
    },
    {
      name: 'a read-only token may not work',
      rec: { ...record, role: 'read' as const },
      target: 'team/primes',
      needs: 'work',
      allowed: false,
    },
  ])('$name', ({ rec, target, needs, allowed }) => {
    const [namespace, worklist] = target.split('/') as [string, string];
    const why = authorize(rec, { namespace, worklist }, needs as 'work' | 'read');
    expect(why === undefined).toBe(allowed);
  });

  it('says why a token is refused, in words that name its scope', () => {
    expect(authorize(record, { namespace: 'team', worklist: 'other' }, 'work')).toBe(
      'token ci is for Worklist team/primes, not Worklist team/other',
    );
    expect(authorize({ ...record, role: 'read' }, { namespace: 'team', worklist: 'primes' }, 'work')).toBe(
      'token ci is read-only: it may read Worklist team/primes, not work on it',
    );
  });

  it('reads back what it stores, and skips an entry that is not a record', () => {
    expect(decodeRecord('ci', encodeRecord(record))).toEqual(record);
    expect(decodeRecord('other', encodeRecord(record))).toBeUndefined();
    expect(decodeRecord('ci', 'not json')).toBeUndefined();
    expect(decodeRecord('ci', JSON.stringify({ ...record, role: 'admin' }))).toBeUndefined();
    expect(decodeRecord('ci', JSON.stringify({ ...record, sha256: 'x' }))).toBeUndefined();
    // A name of a Kubernetes identity's (written by hand, or before such names were refused).
    const k8s = { ...record, name: 'k8s-0123456789abcdef' };
    expect(decodeRecord(k8s.name, encodeRecord(k8s))).toBeUndefined();
  });
});
