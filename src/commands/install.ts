import { Flags } from '@oclif/core';
import type { KubernetesObject } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag, structuredOutputFlag } from '../cli/flags.js';
import type { Printable } from '../cli/output.js';
import { Installer } from '../install/installer.js';
import { DEFAULT_IMAGE } from '../api/image.js';
import { installObjects } from '../install/manifests.js';
import { objectRef } from '../printers/ref.js';
import { toWire } from '../kube/wire.js';

export default class Install extends BaseCommand<typeof Install> {
  static override summary = 'Install the CRDs, the controller, its RBAC and the admission policy.';
  static override description = `Server-side applies everything with field manager "teamtask", then waits until the CRDs are Established, the admission policy is enforced and a replica of the controller Deployment leads (it fails at once, naming the pod and its reason, when a controller pod cannot pull its image or crash-loops). Running it again changes nothing; run it after an upgrade to update.`;
  static override examples = [
    'kubectl teamtask install',
    'kubectl teamtask install --image registry.example/teamtask:0.1.0',
    'kind load image-archive teamtask-v0.1.0-linux-amd64.docker.tar && kubectl teamtask install',
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
      description: 'wait until the CRDs, the admission policy and a leading controller replica are ready',
    }),
    timeout: durationFlag({ default: 120_000, description: 'how long to wait, e.g. 90s or 5m' }),
  };

  public async run(): Promise<KubernetesObject[]> {
    const { image, output, wait, timeout } = this.flags;
    const objects = installObjects({ image });
    if (this.flags['dry-run'] === 'client') {
      this.print(appliedList(objects, ' (dry run)'), output);
      return objects;
    }
    const installer = new Installer(this.kube.kc);
    const applied = await installer.apply(objects);
    this.print(appliedList(applied, ''), output);
    if (wait) {
      await installer.waitReady(objects, timeout);
      if (!output)
        this.log(
          'Teamtask is installed: CRDs Established, admission policy enforced, a controller replica leads.',
        );
    }
    return applied;
  }
}

/** Objects applied; for -o one `kind: List`, as kubectl prints several objects, so `kubectl apply -f` takes it back. */
const appliedList = (objects: KubernetesObject[], suffix: string): Printable => ({
  data: { apiVersion: 'v1', kind: 'List', items: objects.map(toWire) },
  human: () => objects.map((o) => `${objectRef(o)} serverside-applied${suffix}`).join('\n'),
});
