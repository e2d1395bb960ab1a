import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { GATEWAY_TOKENS_SECRET, PART_OF_LABEL, PART_OF_VALUE } from '../api/names.js';
import { HintedError, isApiError } from '../kube/errors.js';
import { decodeRecord, encodeRecord, type TokenRecord } from './tokens.js';

/** The Secret's type: not Opaque, so that nobody takes it for a Secret of theirs. */
const SECRET_TYPE = 'teamtask.dev/gateway-tokens';

/** How often a change of the Secret is tried again when another writer got there first. */
const CONFLICT_RETRIES = 5;

/**
 * The gateway's tokens: one Secret in the system namespace, a data key per token name holding its
 * record (the secret's hash, never the secret). Every change is a replace under the
 * resourceVersion read, as the Worklist's ledger is: two `token create`s at once never lose one.
 * The gateway needs `get` on this one Secret and nothing else of Secrets.
 */
export class TokenStore {
  constructor(
    private readonly core: CoreV1Api,
    readonly namespace: string,
  ) {}

  /** Every record stored, by name; none when the Secret does not exist yet. */
  async read(): Promise<Map<string, TokenRecord>> {
    return recordsOf(await this.secret());
  }

  /** Stores a new token's record; refuses a name in use (revoke it first). */
  async add(record: TokenRecord): Promise<void> {
    await this.change((records) => {
      if (records.has(record.name)) {
        throw new HintedError(
          `token ${record.name} already exists`,
          `choose another name, or revoke it first: kubectl teamtask token revoke ${record.name}`,
        );
      }
      records.set(record.name, record);
    });
  }

  /** Removes a token's record: the gateway refuses it within seconds. False when there was none. */
  async revoke(name: string): Promise<boolean> {
    let found = false;
    await this.change((records) => {
      found = records.delete(name);
    });
    return found;
  }

  private async secret(): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ name: GATEWAY_TOKENS_SECRET, namespace: this.namespace });
    } catch (err) {
      if (isApiError(err, 404)) return undefined;
      throw err;
    }
  }

  private async change(edit: (records: Map<string, TokenRecord>) => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.secret();
      const records = recordsOf(current);
      edit(records);
      const data = Object.fromEntries(
        [...records.values()].map((r) => [r.name, Buffer.from(encodeRecord(r)).toString('base64')]),
      );
      try {
        if (!current) {
          await this.core.createNamespacedSecret({
            namespace: this.namespace,
            body: {
              metadata: { name: GATEWAY_TOKENS_SECRET, labels: { [PART_OF_LABEL]: PART_OF_VALUE } },
              type: SECRET_TYPE,
              data,
            },
          });
        } else {
          await this.core.replaceNamespacedSecret({
            name: GATEWAY_TOKENS_SECRET,
            namespace: this.namespace,
            body: { ...current, data },
          });
        }
        return;
      } catch (err) {
        // Another writer came first (409 on the resourceVersion, or on creating): read again.
        if (isApiError(err, 409) && attempt < CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }
}

function recordsOf(secret: V1Secret | undefined): Map<string, TokenRecord> {
  const records = new Map<string, TokenRecord>();
  for (const [name, value] of Object.entries(secret?.data ?? {})) {
    const r = decodeRecord(name, Buffer.from(value, 'base64').toString());
    if (r) records.set(name, r);
  }
  return records;
}

/**
 * What the gateway knows of the tokens: the Secret as last read, read again when it is older
 * than `maxAgeMs` (a revoked token is refused within that), or sooner for a name it does not
 * know (a token made a moment ago), at most every `unknownEveryMs`: a flood of made-up tokens
 * costs the API server a few reads a second, not one per request. One read at a time.
 */
export class TokenCache {
  private records = new Map<string, TokenRecord>();
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(
    private readonly read: () => Promise<Map<string, TokenRecord>>,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 2000,
    private readonly unknownEveryMs = 250,
  ) {}

  /** The record of `name`, from a read recent enough for it. */
  async lookup(name: string): Promise<TokenRecord | undefined> {
    const age = this.now() - this.readAt;
    if (age > this.maxAgeMs || (!this.records.has(name) && age > this.unknownEveryMs)) await this.refresh();
    return this.records.get(name);
  }

  private refresh(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const at = this.now();
        this.records = await this.read();
        this.readAt = at;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }
}
