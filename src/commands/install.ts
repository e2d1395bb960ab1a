import { Flags } from '@oclif/core';
import type { KubernetesObject } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag, structuredOutputFlag } from '../cli/flags.js';
import { Installer } from '../install/installer.js';
import { DEFAULT_IMAGE, installObjects, objectRef } from '../install/manifests.js';
import { toWire } from '../kube/wire.js';

export default class Install extends BaseCommand<typeof Install> {
  static override summary = 'Install the CRDs, the controller, its RBAC and the admission policy.';
  static override description = `Server-side applies everything with field manager "teamtask", then waits until the CRDs are Established, the admission policy is enforced and the controller has an available replica. Running it again changes nothing; run it after an upgrade to update.`;
  static override examples = [
    'kubectl teamtask install',
    'kubectl teamtask install --image registry.example/teamtask:0.1.0',
    'kubectl teamtask install --dry-run=client -o yaml > teamtask.yaml',
  ];
  static override flags = {
    image: Flags.string({ description: `controller image (default ${DEFAULT_IMAGE})` }),
    'dry-run': Flags.option({
      options: ['none', 'client'] as const,
      default: 'none' as const,
      description: 'client: only print what would be applied',
    })(),
    output: structuredOutputFlag(),
    wait: Flags.boolean({
      default: true,
      allowNo: true,
      description: 'wait until the CRDs and controller are ready',
    }),
    timeout: durationFlag({ default: 120_000, description: 'how long to wait, e.g. 90s or 5m' }),
  };

  public async run(): Promise<KubernetesObject[]> {
    const { image, output, wait, timeout } = this.flags;
    const objects = installObjects({ image });
    if (this.flags['dry-run'] === 'client') {
      // One `kind: List`, as kubectl prints several objects, so `kubectl apply -f` takes it back.
      this.print(asList(objects), output, () =>
        objects.map((o) => `${objectRef(o)} serverside-applied (dry run)`).join('\n'),
      );
      return objects;
    }
    const installer = new Installer(this.kube.kc);
    const applied = await installer.apply(objects);
    this.print(asList(applied), output, () =>
      applied.map((o) => `${objectRef(o)} serverside-applied`).join('\n'),
    );
    if (wait) {
      await installer.waitReady(objects, timeout);
      if (!output)
        this.log('Teamtask is installed: CRDs Established, admission policy enforced, controller available.');
    }
    return applied;
  }
}

const asList = (objects: KubernetesObject[]) => ({
  apiVersion: 'v1',
  kind: 'List',
  items: objects.map(toWire),
});
