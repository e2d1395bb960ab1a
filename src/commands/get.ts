import { Args, Flags } from '@oclif/core';
import { WORKLIST_LABEL } from '../api/names.js';
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { readCrd } from '../api/v1alpha1/crds.js';
import { BaseCommand } from '../cli/base-command.js';
import { getOutputFlag } from '../cli/get-output.js';
import type { OutputFormat } from '../cli/output.js';
import { resourceNamed } from '../cli/resources.js';
import { watchChanges } from '../cli/watch.js';
import { collectionPath, TeamtaskClient } from '../kube/teamtask-client.js';
import { printTable, type Column } from '../printers/table.js';

export default class Get extends BaseCommand<typeof Get> {
  static override summary = 'List Worklists or Blocks, the way kubectl get does.';
  static override description =
    'The same columns as `kubectl get` (the CRDs printer columns), with -o wide for more; -w keeps printing a row for every change until Ctrl-C.';
  static override examples = [
    'kubectl teamtask get lists',
    'kubectl teamtask get blocks --list primes -o wide',
    'kubectl teamtask get blocks -A -w',
    "kubectl teamtask get worklist primes -o jsonpath='{.status.completed}'",
  ];
  static override args = {
    resource: Args.string({ required: true, description: 'worklists (lists, wl) or blocks' }),
    name: Args.string({ description: 'one object by name' }),
  };
  static override flags = {
    output: getOutputFlag(),
    'no-headers': Flags.boolean({ default: false, description: 'print no header row' }),
    watch: Flags.boolean({
      char: 'w',
      default: false,
      description: 'after listing, print a row for every change',
    }),
    'all-namespaces': Flags.boolean({ char: 'A', default: false, description: 'in every namespace' }),
    selector: Flags.string({ char: 'l', description: `label selector, e.g. ${WORKLIST_LABEL}=primes` }),
    list: Flags.string({ description: 'only the Blocks of this Worklist' }),
  };

  public async run(): Promise<unknown> {
    const resource = resourceNamed(this.args.resource);
    if (this.flags.list && resource.kind !== 'Block') {
      this.usage('--list selects Blocks: use it with get blocks');
    }
    const format = this.flags.output;
    const client = new TeamtaskClient(this.kube.kc);
    const all = this.flags['all-namespaces'];
    const namespace = this.kube.namespace;
    const query = {
      labelSelector: this.flags.selector,
      fieldSelector:
        [
          this.flags.list ? `spec.worklist=${this.flags.list}` : undefined,
          this.args.name && this.flags.watch ? `metadata.name=${this.args.name}` : undefined,
        ]
          .filter(Boolean)
          .join(',') || undefined,
    };

    let data: KubernetesObject;
    let items: KubernetesObject[];
    let resourceVersion: string | undefined;
    if (this.args.name) {
      const obj: KubernetesObject = await (
        resource.kind === 'Worklist' ? client.worklists(namespace) : client.blocks(namespace)
      ).get(this.args.name);
      data = obj;
      items = [obj];
      resourceVersion = obj.metadata?.resourceVersion;
    } else {
      const list = await client.listAll(resource.plural, all ? undefined : namespace, query);
      items = list.items;
      resourceVersion = list.metadata?.resourceVersion;
      data = { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } } as KubernetesObject;
      if (items.length === 0 && isTable(format) && !this.flags.watch) {
        this.logToStderr(all ? 'No resources found' : `No resources found in ${namespace} namespace.`);
        return data;
      }
    }
    const columns = readCrd(resource.kind).spec.versions[0]!.additionalPrinterColumns as Column[];
    const show = (objects: KubernetesObject[], whole: unknown, headers: boolean) =>
      this.print(
        {
          data: whole,
          names: () => objects.map((o) => `${resource.nameRef}/${o.metadata?.name}`),
          human: (wide) =>
            printTable(objects, columns, {
              now: new Date(),
              wide,
              noHeaders: !headers || this.flags['no-headers'],
              withNamespace: all,
            }),
        },
        format,
      );
    if (items.length) show(items, data, true);
    if (!this.flags.watch) return data;

    let headerShown = items.length > 0;
    await watchChanges({
      watcher: new Watch(this.kube.kc),
      path: collectionPath(resource.plural, all ? undefined : namespace),
      query: { ...query, resourceVersion },
      signal: this.abortOnSignals(),
      onChange: (obj) => {
        show([obj], obj, !headerShown);
        headerShown = true;
      },
    });
    return data;
  }
}

/** No -o, or -o wide: a table, which says so when it has no rows. */
const isTable = (format: OutputFormat | undefined) => format === undefined || format === 'wide';
