import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { scaleWorkers, type Changed } from '../worklist/control.js';

export default class Scale extends BaseCommand<typeof Scale> {
  static override summary = "Set the number of a Worklist's worker pods.";
  static override description =
    "Sets its Indexed Job's parallelism and completions to --workers (an elastic Indexed Job). Pods added pick up ranges at once; pods removed get SIGTERM, and their workers give back what they had not done.";
  static override examples = ['kubectl teamtask scale primes --workers 16'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };
  static override flags = {
    workers: Flags.integer({
      required: true,
      min: 1,
      description: 'worker pods (use suspend to stop them all)',
    }),
  };

  public async run(): Promise<Changed> {
    const changed = await scaleWorkers(this.kube.kc, this.kube.namespace, this.args.name, this.flags.workers);
    this.log(`job.batch/${changed.job} scaled to ${this.flags.workers} workers`);
    return changed;
  }
}
