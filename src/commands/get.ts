import { Args, Flags } from '@oclif/core';
import { CustomObjectsApi, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/v1alpha1/index.js';
import { readCrd } from '../api/v1alpha1/crds.js';
import { BaseCommand } from '../cli/base-command.js';
import { getOutputFlag, type GetFormat } from '../cli/get-output.js';
import { render } from '../cli/output.js';
import { resourceNamed, type Resource } from '../cli/resources.js';
import { HintedError } from '../kube/errors.js';
import { renderJsonPath } from '../printers/jsonpath.js';
import { printTable, type Column } from '../printers/table.js';

interface ObjectList {
  items: KubernetesObject[];
  metadata?: { resourceVersion?: string };
}

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
    selector: Flags.string({ char: 'l', description: 'label selector, e.g. teamtask.dev/worklist=primes' }),
    list: Flags.string({ description: 'only the Blocks of this Worklist' }),
  };

  public async run(): Promise<unknown> {
    const resource = resourceNamed(this.args.resource);
    if (this.flags.list && resource.kind !== 'Block') {
      this.usage('--list selects Blocks: use it with get blocks');
    }
    const format: GetFormat = this.flags.output ?? { kind: 'table', wide: false };
    const custom = this.kube.kc.makeApiClient(CustomObjectsApi);
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
    const base = { group: GROUP, version: VERSION, plural: resource.plural };

    let data: KubernetesObject | ObjectList;
    let items: KubernetesObject[];
    if (this.args.name) {
      const obj = (await custom.getNamespacedCustomObject({
        ...base,
        namespace,
        name: this.args.name,
      })) as KubernetesObject;
      data = obj;
      items = [obj];
    } else {
      const list = (await (all
        ? custom.listClusterCustomObject({ ...base, ...query })
        : custom.listNamespacedCustomObject({ ...base, namespace, ...query }))) as ObjectList;
      items = list.items;
      data = { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } } as KubernetesObject;
      if (items.length === 0 && format.kind === 'table' && !this.flags.watch) {
        this.logToStderr(all ? 'No resources found' : `No resources found in ${namespace} namespace.`);
        return data;
      }
    }
    const columns = readCrd(resource.kind).spec.versions[0]!.additionalPrinterColumns as Column[];
    const show = (objects: KubernetesObject[], whole: unknown, headers: boolean) =>
      this.show(resource, objects, whole, format, columns, headers && !this.flags['no-headers'], all);
    if (items.length) show(items, data, true);
    if (!this.flags.watch) return data;

    const rv = this.args.name
      ? items[0]?.metadata?.resourceVersion
      : (data as ObjectList).metadata?.resourceVersion;
    let headerShown = items.length > 0;
    await this.watch(resource, all ? undefined : namespace, { ...query, resourceVersion: rv }, (obj) => {
      show([obj], obj, !headerShown);
      headerShown = true;
    });
    return data;
  }

  private show(
    resource: Resource,
    objects: KubernetesObject[],
    whole: unknown,
    format: GetFormat,
    columns: Column[],
    headers: boolean,
    withNamespace: boolean,
  ): void {
    switch (format.kind) {
      case 'table':
        return this.log(
          printTable(objects, columns, {
            now: new Date(),
            wide: format.wide,
            noHeaders: !headers,
            withNamespace,
          }),
        );
      case 'name':
        return this.log(objects.map((o) => `${resource.nameRef}/${o.metadata?.name}`).join('\n'));
      case 'jsonpath':
        return void process.stdout.write(renderJsonPath(format.template, whole));
      default:
        return this.log(render(whole, format.kind));
    }
  }

  /** Prints every change until SIGINT/SIGTERM, or until the watch fails (an error then). */
  /**
   * Prints every change until SIGINT/SIGTERM. A watch the server or the client ends (client-node
   * gives up on a quiet connection after 30 s) starts again from the last resourceVersion seen,
   * bookmarks keeping it fresh; a 410 (that version is gone) or another error ends it.
   */
  private watch(
    resource: Resource,
    namespace: string | undefined,
    query: Record<string, string | undefined>,
    onChange: (obj: KubernetesObject) => void,
  ): Promise<void> {
    const path = `/apis/${GROUP}/${VERSION}${namespace ? `/namespaces/${namespace}` : ''}/${resource.plural}`;
    const params = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    let resourceVersion = params.resourceVersion;
    let stopped = false;
    let request: AbortController | undefined;
    return new Promise((resolve, reject) => {
      const stop = () => {
        stopped = true;
        request?.abort();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const start = () => {
        if (stopped) return;
        new Watch(this.kube.kc)
          .watch(
            path,
            { ...params, resourceVersion, allowWatchBookmarks: true },
            (type: string, obj: KubernetesObject) => {
              resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
              if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onChange(obj);
            },
            (err: unknown) => {
              if (stopped) return;
              const name = err instanceof Error ? err.name : '';
              if (!err || name === 'AbortError' || name === 'TimeoutError') return void start();
              reject(
                (err as { code?: number }).code === 410 || String(err).includes('410')
                  ? new HintedError('the watch fell too far behind (410 Gone)', 'run the command again')
                  : err,
              );
            },
          )
          .then((r) => (request = r), reject);
      };
      start();
    });
  }
}
