import { CoreV1Api } from '@kubernetes/client-node';
import { Args, Flags } from '@oclif/core';
import { KUBE_CALLER_PREFIX, SYSTEM_NAMESPACE } from '../../api/names.js';
import { BaseCommand } from '../../cli/base-command.js';
import { durationFlag, structuredOutputFlag } from '../../cli/flags.js';
import { formatDuration } from '../../cli/duration.js';
import { TeamtaskClient, worklistNotFound } from '../../kube/teamtask-client.js';
import { TokenStore } from '../../gateway/token-store.js';
import { mintToken, type TokenRecord } from '../../gateway/tokens.js';

/** What `token create` shows: the record, and the token itself (this once). */
export interface CreatedToken extends Omit<TokenRecord, 'sha256'> {
  token: string;
}

export default class TokenCreate extends BaseCommand<typeof TokenCreate> {
  static override summary = 'Make a gateway token for one Worklist (or one namespace), and print it once.';
  static override description = `A bearer token for the gateway (kubectl teamtask serve, docs/gateway.md): it may work on (claim, report) and read one Worklist, or with --all-worklists every Worklist of the namespace; --read-only tokens only read status. Only a hash is stored (in the Secret teamtask-gateway-tokens of ${SYSTEM_NAMESPACE}); the token is printed once, alone on the last line (-o json for scripts). It expires after --ttl; kubectl teamtask token revoke ends it sooner (the gateway refuses it within seconds).`;
  static override examples = [
    'kubectl teamtask token create ci-runners --worklist primes --ttl 24h',
    'kubectl teamtask token create dashboard --worklist primes --read-only -o json',
    'kubectl teamtask token create team-a --all-worklists -n team-a',
  ];
  static override args = {
    name: Args.string({
      required: true,
      description: "the token's name (a DNS label): list and revoke use it",
    }),
  };
  static override flags = {
    worklist: Flags.string({ description: 'the Worklist it may act on', exclusive: ['all-worklists'] }),
    'all-worklists': Flags.boolean({ default: false, description: 'every Worklist of the namespace' }),
    ttl: durationFlag({ default: 24 * 3600_000, description: 'how long it is valid, e.g. 8h or 30d' }),
    'read-only': Flags.boolean({ default: false, description: 'it may read status, not claim or report' }),
    output: structuredOutputFlag(),
  };

  public async run(): Promise<CreatedToken> {
    const { name } = this.args;
    const { worklist, ttl, output } = this.flags;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      this.usage(`token name "${name}" is not a DNS label: use lowercase letters, digits and dashes`);
    }
    if (name.startsWith(KUBE_CALLER_PREFIX)) {
      this.usage(
        `token name "${name}" starts with ${KUBE_CALLER_PREFIX}, which names Kubernetes identities at the gateway: choose another name`,
      );
    }
    if (!worklist && !this.flags['all-worklists']) {
      this.usage(
        'say what the token may act on: --worklist NAME, or --all-worklists for the whole namespace',
      );
    }
    const namespace = this.kube.namespace;
    if (worklist) {
      // A token for a Worklist that is not there is a typo more often than a plan.
      try {
        await new TeamtaskClient(this.kube.kc).worklists(namespace).get(worklist);
      } catch (err) {
        throw worklistNotFound(err, namespace, worklist);
      }
    }
    const now = new Date();
    const { token, sha256 } = mintToken(name);
    const record: TokenRecord = {
      name,
      namespace,
      ...(worklist ? { worklist } : {}),
      role: this.flags['read-only'] ? 'read' : 'work',
      sha256,
      created: now.toISOString(),
      expires: new Date(now.getTime() + ttl).toISOString(),
    };
    await new TokenStore(this.kube.kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE).add(record);
    const { sha256: _hash, ...shown } = record;
    const created: CreatedToken = { ...shown, token };
    const scope = worklist ? `Worklist ${namespace}/${worklist}` : `every Worklist of namespace ${namespace}`;
    this.print(
      {
        data: created,
        human: () =>
          `token ${name} may ${record.role === 'work' ? 'work on' : 'read'} ${scope} for ${formatDuration(ttl)} (until ${record.expires}); it is shown only this once:\n${token}`,
      },
      output,
    );
    return created;
  }
}
