import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { worklistRef } from '../printers/ref.js';

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete a Worklist and everything create made for it.';
  static override description =
    'Deletes the Worklist; the garbage collector removes what it owns (its Job and worker pods, ServiceAccount, Role, RoleBinding, items ConfigMap).';
  static override examples = ['kubectl teamtask delete primes'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };

  public async run(): Promise<void> {
    // In the background (a custom resource's default, as kubectl's): what it owns goes after it.
    await new TeamtaskClient(this.kube.kc).worklists(this.kube.namespace).delete(this.args.name);
    this.log(`${worklistRef(this.args.name)} deleted`);
  }
}
