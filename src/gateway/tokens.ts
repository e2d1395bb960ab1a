import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TOKEN_PREFIX, type TokenRole } from '../api/gateway.js';
import { KUBE_CALLER_PREFIX } from '../api/names.js';

/**
 * A gateway token as stored: everything but the secret, of which only a SHA-256 hash is kept.
 * One record per token name, in the gateway's tokens Secret (token-store.ts).
 */
export interface TokenRecord {
  name: string;
  namespace: string;
  /** The one Worklist it may act on; absent: any Worklist of the namespace. */
  worklist?: string;
  role: TokenRole;
  /** hex SHA-256 of the secret part. */
  sha256: string;
  created: string;
  expires: string;
}

/** A token's parts: the record's name, and the secret that proves it. */
export interface TokenParts {
  name: string;
  secret: string;
}

/** A new token: the string to hand to its holder (once), and the hash to store. */
export function mintToken(
  name: string,
  random: (n: number) => Buffer = randomBytes,
): {
  token: string;
  sha256: string;
} {
  const secret = random(32).toString('base64url');
  return { token: `${TOKEN_PREFIX}${name}_${secret}`, sha256: hashSecret(secret) };
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** `ttk_<name>_<secret>` into its parts (a name is a DNS label, so it has no `_`); undefined when malformed. */
export function parseToken(token: string): TokenParts | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const rest = token.slice(TOKEN_PREFIX.length);
  const cut = rest.indexOf('_');
  if (cut <= 0) return undefined;
  const name = rest.slice(0, cut);
  const secret = rest.slice(cut + 1);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || !/^[A-Za-z0-9_-]{16,}$/.test(secret)) return undefined;
  return { name, secret };
}

/** Why a request's credential is refused (401), or the token record it proves. */
export type Authentication =
  { ok: true; record: TokenRecord } | { ok: false; why: 'missing' | 'malformed' | 'unknown' | 'expired' };

/**
 * The token a request's Authorization header carries, checked against the stored records: known
 * (not revoked), its secret's hash equal (compared in constant time), and not expired.
 */
export function authenticate(
  header: string | undefined,
  lookup: (name: string) => TokenRecord | undefined,
  now: Date,
): Authentication {
  if (!header) return { ok: false, why: 'missing' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const parts = m ? parseToken(m[1]!) : undefined;
  if (!parts) return { ok: false, why: 'malformed' };
  const record = lookup(parts.name);
  if (!record) return { ok: false, why: 'unknown' };
  const want = Buffer.from(record.sha256, 'hex');
  const got = Buffer.from(hashSecret(parts.secret), 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, why: 'unknown' };
  if (!(Date.parse(record.expires) > now.getTime())) return { ok: false, why: 'expired' };
  return { ok: true, record };
}

/** Why a proven token may not do what it asks (403), or undefined when it may. */
export function authorize(
  record: TokenRecord,
  target: { namespace: string; worklist: string },
  needs: TokenRole,
): string | undefined {
  const scope = record.worklist
    ? `Worklist ${record.namespace}/${record.worklist}`
    : `namespace ${record.namespace}`;
  if (record.namespace !== target.namespace || (record.worklist && record.worklist !== target.worklist)) {
    return `token ${record.name} is for ${scope}, not Worklist ${target.namespace}/${target.worklist}`;
  }
  if (needs === 'work' && record.role !== 'work') {
    return `token ${record.name} is read-only: it may read ${scope}, not work on it`;
  }
  return undefined;
}

/** A record as the tokens Secret stores it (one data key per token, its name). */
export const encodeRecord = (r: TokenRecord): string => JSON.stringify(r);

/** A stored record, or undefined when the entry is not one (a hand-edited Secret must not stop the gateway). */
export function decodeRecord(name: string, text: string): TokenRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<TokenRecord>;
    if (
      r.name === name &&
      // Such names are Kubernetes identities' at the gateway: a record by hand must not share their Blocks.
      !name.startsWith(KUBE_CALLER_PREFIX) &&
      typeof r.namespace === 'string' &&
      (r.role === 'work' || r.role === 'read') &&
      typeof r.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(r.sha256) &&
      typeof r.expires === 'string' &&
      (r.worklist === undefined || typeof r.worklist === 'string')
    ) {
      return r as TokenRecord;
    }
  } catch {
    // not JSON: skipped
  }
  return undefined;
}
