import { CoreV1Api } from '@kubernetes/client-node';
import { Args } from '@oclif/core';
import { SYSTEM_NAMESPACE } from '../../api/names.js';
import { BaseCommand } from '../../cli/base-command.js';
import { HintedError } from '../../kube/errors.js';
import { TokenStore } from '../../gateway/token-store.js';

export default class TokenRevoke extends BaseCommand<typeof TokenRevoke> {
  static override summary = 'Revoke a gateway token: the gateway refuses it within seconds.';
  static override description =
    'Its Blocks stay: a worker that used it can no longer report, so their leases run out and their ranges go to other workers.';
  static override examples = ['kubectl teamtask token revoke ci-runners'];
  static override args = { name: Args.string({ required: true, description: "the token's name" }) };

  public async run(): Promise<{ revoked: string }> {
    const { name } = this.args;
    const found = await new TokenStore(this.kube.kc.makeApiClient(CoreV1Api), SYSTEM_NAMESPACE).revoke(name);
    if (!found)
      throw new HintedError(`token ${name} not found`, 'list them with: kubectl teamtask token list');
    this.log(`token ${name} revoked`);
    return { revoked: name };
  }
}
