import { Args } from '@oclif/core';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION, WORKLIST_PLURAL } from '../api/v1alpha1/index.js';
import { BaseCommand } from '../cli/base-command.js';

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete a Worklist and everything create made for it.';
  static override description =
    'Deletes the Worklist; the garbage collector removes what it owns (its Job and worker pods, ServiceAccount, Role, RoleBinding, items ConfigMap).';
  static override examples = ['kubectl teamtask delete primes'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };

  public async run(): Promise<void> {
    await this.kube.kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: WORKLIST_PLURAL,
      namespace: this.kube.namespace,
      name: this.args.name,
      propagationPolicy: 'Background',
    });
    this.log(`worklist.teamtask.dev/${this.args.name} deleted`);
  }
}
