import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag } from '../cli/flags.js';
import { Installer } from '../install/installer.js';
import { installObjects } from '../install/manifests.js';

export default class Uninstall extends BaseCommand<typeof Uninstall> {
  static override summary = 'Remove everything install created.';
  static override description =
    'Refuses while Worklists exist, so no one loses a ledger by accident; --force deletes them too. Waits until every object is gone.';
  static override examples = ['kubectl teamtask uninstall', 'kubectl teamtask uninstall --force'];
  static override flags = {
    force: Flags.boolean({ description: 'also delete every Worklist and Block in the cluster' }),
    timeout: durationFlag({ default: 120_000, description: 'how long to wait for deletion, e.g. 90s or 5m' }),
  };

  public async run(): Promise<string[]> {
    const deleted = await new Installer(this.kube.kc).uninstall(
      installObjects({ gateway: true }),
      this.flags.force,
      this.flags.timeout,
    );
    this.log(
      deleted.length ? deleted.map((ref) => `${ref} deleted`).join('\n') : 'Teamtask was not installed.',
    );
    return deleted;
  }
}
