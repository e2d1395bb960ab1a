import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { worklistRef } from '../printers/ref.js';
import { setSuspended, type Changed } from '../worklist/control.js';

export default class Suspend extends BaseCommand<typeof Suspend> {
  static override summary = "Suspend a Worklist: no new ranges are handed out, and its Job's pods stop.";
  static override description =
    'Sets spec.suspend on the Worklist (work in progress is reported; nothing is lost) and suspends its Job, whose pods get SIGTERM: their workers finish running items within their grace period, report them and give back the rest. kubectl teamtask resume NAME goes on where it stopped.';
  static override examples = ['kubectl teamtask suspend primes -n work'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };

  public async run(): Promise<Changed> {
    const changed = await setSuspended(this.kube.kc, this.kube.namespace, this.args.name, true);
    this.log(`${worklistRef(changed.worklist)} suspended`);
    if (changed.job) this.log(`job.batch/${changed.job} suspended`);
    return changed;
  }
}
