import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { dryRunFlag, durationFlag, structuredOutputFlag } from '../cli/flags.js';
import { Installer } from '../install/installer.js';
import { DEFAULT_IMAGE, installObjects, objectRef } from '../install/manifests.js';
import { toWire } from '../kube/wire.js';

export default class Install extends BaseCommand<typeof Install> {
  static override summary = 'Install the CRDs, the controller, its RBAC and the admission policy.';
  static override description = `Server-side applies everything with field manager "teamtask", then waits until the CRDs are Established and the controller has an available replica. Running it again changes nothing; run it after an upgrade to update.`;
  static override examples = [
    'kubectl teamtask install',
    'kubectl teamtask install --image registry.example/teamtask:0.1.0',
    'kubectl teamtask install --dry-run=client -o yaml > teamtask.yaml',
  ];
  static override flags = {
    image: Flags.string({ description: `controller image (default ${DEFAULT_IMAGE})` }),
    'dry-run': dryRunFlag(),
    output: structuredOutputFlag(),
    wait: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'wait until the CRDs and controller are ready',
    }),
    timeout: durationFlag({ default: 120_000, description: 'how long to wait, e.g. 90s or 5m' }),
  };

  public async run(): Promise<unknown[]> {
    const { image, output, wait, timeout } = this.flags;
    const dryRun = this.flags['dry-run'];
    const objects = installObjects({ image });
    if (dryRun === 'client') {
      this.print(objects.map(toWire), output, () =>
        objects.map((o) => `${objectRef(o)} serverside-applied (dry run)`).join('\n'),
      );
      return objects;
    }
    const installer = new Installer(this.kube.kc);
    const applied = await installer.apply(objects, dryRun === 'server');
    this.print(applied.map(toWire), output, () =>
      applied
        .map((o) => `${objectRef(o)} serverside-applied${dryRun === 'server' ? ' (server dry run)' : ''}`)
        .join('\n'),
    );
    if (wait && dryRun === 'none') {
      await installer.waitReady(objects, timeout);
      if (!output) this.log('Teamtask is installed: CRDs Established, controller available.');
    }
    return applied;
  }
}
