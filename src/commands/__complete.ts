import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { complete, type CommandShape } from '../cli/complete.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';

/** What each command's positional arguments name, for completion. */
const POSITIONAL: Record<string, CommandShape['positional']> = {
  get: ['resource', 'name'],
  describe: ['describable', 'name'],
  status: ['worklist'],
  delete: ['worklist'],
  suspend: ['worklist'],
  resume: ['worklist'],
  scale: ['worklist'],
  retry: ['worklist'],
  work: ['worklist'],
};

/** Looks up names with a short deadline: a slow cluster must not hang the shell. */
const quickly = <T>(p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('slow')), 2000).unref())]);

export default class Complete extends BaseCommand<typeof Complete> {
  static override hidden = true;
  static override summary = 'Shell completion (what bin/kubectl_complete-teamtask asks kubectl for).';
  static override strict = false;

  public async run(): Promise<void> {
    const commands: CommandShape[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        flags: Object.values(c.flags).map((f) => ({
          name: f.name,
          char: f.char,
          takesValue: f.type === 'option',
          options: f.type === 'option' ? f.options : undefined,
        })),
        positional: POSITIONAL[c.id] ?? [],
      }))
      .sort((x, y) => x.id.localeCompare(y.id));
    const names = async (kind: 'worklists' | 'blocks', namespace?: string) => {
      const client = new TeamtaskClient(this.kube.kc)[kind](namespace ?? this.kube.namespace);
      return (await quickly<KubernetesObject[]>(client.list())).map((o) => o.metadata!.name!);
    };
    const out = await complete(this.positional, commands, {
      worklists: (ns) => names('worklists', ns),
      blocks: (ns) => names('blocks', ns),
      namespaces: async () =>
        (await quickly(this.kube.kc.makeApiClient(CoreV1Api).listNamespace())).items.map(
          (n) => n.metadata!.name!,
        ),
      contexts: () => this.kube.kc.getContexts().map((c) => c.name),
    });
    // Exit at once: a lookup that gave up after 2 s may still hold a connection open.
    process.stdout.write(out, () => process.exit(0));
  }
}
