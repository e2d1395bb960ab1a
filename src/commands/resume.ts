import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { worklistRef } from '../printers/ref.js';
import { setSuspended, type Changed } from '../worklist/control.js';

export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = 'Resume a suspended Worklist and its Job.';
  static override description =
    'Clears spec.suspend on the Worklist and on its Job: the Job starts its pods again, and the controller hands out ranges from where the ledger stopped.';
  static override examples = ['kubectl teamtask resume primes -n work'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };

  public async run(): Promise<Changed> {
    const changed = await setSuspended(this.kube.kc, this.kube.namespace, this.args.name, false);
    this.log(`${worklistRef(changed.worklist)} resumed`);
    if (changed.job) this.log(`job.batch/${changed.job} resumed`);
    return changed;
  }
}
