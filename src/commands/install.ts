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
import { CoreV1Api } from '@kubernetes/client-node';
import { GATEWAY_NAME, GATEWAY_TLS_SECRET, SYSTEM_NAMESPACE } from '../api/names.js';
import { ensureGatewayTls } from '../install/gateway-tls.js';
import { selfSignedCertificate } from '../gateway/tls.js';

export default class Install extends BaseCommand<typeof Install> {
  static override summary = 'Install the CRDs, the controller, its RBAC and the admission policy.';
  static override description = `Server-side applies everything with field manager "teamtask", then waits until the CRDs are Established, the admission policy is enforced and a replica of the controller Deployment leads (it fails at once, naming the pod and its reason, when a controller pod cannot pull its image or crash-loops). Running it again changes nothing; run it after an upgrade to update.`;
  static override examples = [
    'kubectl teamtask install',
    'kubectl teamtask install --image registry.example/teamtask:0.1.0',
    'kind load image-archive teamtask-v0.1.0-linux-amd64.docker.tar && kubectl teamtask install',
    'kubectl teamtask install --dry-run=client -o yaml > teamtask.yaml',
    'kubectl teamtask install --gateway --gateway-hostname gateway.example.com',
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
    gateway: Flags.boolean({
      default: false,
      description: `also run the gateway (docs/gateway.md): workers without a kubeconfig work through it with a token; its certificate is the Secret ${GATEWAY_TLS_SECRET} (self-signed unless you made it)`,
    }),
    'gateway-hostname': Flags.string({
      multiple: true,
      dependsOn: ['gateway'],
      description:
        "a name or address clients reach the gateway by, for its self-signed certificate (the Service's names and ClusterIP are in it)",
    }),
  };

  public async run(): Promise<KubernetesObject[]> {
    const { image, output, wait, timeout, gateway } = this.flags;
    const objects = installObjects({ image, gateway });
    if (this.flags['dry-run'] === 'client') {
      this.print(appliedList(objects, ' (dry run)'), output);
      return objects;
    }
    const installer = new Installer(this.kube.kc);
    const applied = await installer.apply(objects);
    this.print(appliedList(applied, ''), output);
    if (gateway) {
      // After the Service, whose ClusterIP the certificate names; its pods wait for the Secret.
      const core = this.kube.kc.makeApiClient(CoreV1Api);
      const tls = await ensureGatewayTls(core, this.flags['gateway-hostname'] ?? [], (hosts) =>
        selfSignedCertificate(hosts),
      );
      if (!output && tls === 'created') {
        this.log(
          `secret/${GATEWAY_TLS_SECRET} created (a self-signed certificate for the gateway's Service)`,
        );
      }
    }
    if (wait) {
      await installer.waitReady(objects, timeout);
      if (!output)
        this.log(
          `Teamtask is installed: CRDs Established, admission policy enforced, a controller replica leads${gateway ? ', the gateway serves' : ''}.`,
        );
    }
    if (gateway && !output) {
      this.log(
        `The gateway: https://${GATEWAY_NAME}.${SYSTEM_NAMESPACE}.svc in the cluster; its certificate: kubectl get secret ${GATEWAY_TLS_SECRET} -n ${SYSTEM_NAMESPACE} -o jsonpath='{.data.ca\\.crt}' | base64 -d > gateway.crt; tokens: kubectl teamtask token create.`,
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
