import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Worklist, WorklistSpecSourceConfigMap } from '../api/v1alpha1/index.js';
import { BaseCommand } from '../cli/base-command.js';
import { commandLine } from '../cli/command-line.js';
import { ownedObjects, worklistObject, type CreateOptions } from '../create/objects.js';
import { undoOnFailure, type Undo } from '../create/rollback.js';
import {
  parentKubeconfig,
  parentReaderIdentityObjects,
  parentReaderObjects,
  secondaryIdentityObjects,
  type ClusterAccess,
} from '../create/secondary.js';
import { parseParentRef, parseSource } from '../create/source.js';
import { itemsKey } from '../api/defaults.js';
import {
  LIMITS_CONFIGMAP,
  parentItemsKubeconfigSecret,
  parentKubeconfigSecret,
  parentReaderRole,
  secondaryAccount,
  SYSTEM_NAMESPACE,
  workerServiceAccount,
} from '../api/names.js';
import { loadKube, type ResolvedKube } from '../kube/config.js';
import { itemLines, maxBlocksPerWorklist } from '../api/source.js';
import { objectRef, worklistRef } from '../printers/ref.js';
import { HintedError, isApiError } from '../kube/errors.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { toWire } from '../kube/wire.js';

const SOURCES = ['range', 'items', 'from-file', 'from-configmap', 'from-worklist'];
/** How long a new token Secret may take to be filled by the token controller. */
const TOKEN_WAIT_MS = 30_000;
/** After each object's name in the human output. */
const SUFFIX = { none: '', client: ' (dry run)', server: ' (server dry run)' } as const;

export default class Create extends BaseCommand<typeof Create> {
  static override summary = 'Create a Worklist and the Indexed Job whose pods work on it.';
  static override description = `Makes the Worklist, a ServiceAccount, Role and RoleBinding that let its workers touch only Blocks (never their status) and read only this Worklist, and an Indexed Job of --workers pods that each run \`kubectl teamtask work NAME -- CMD\` in --image. The worker runtime (Node and the CLI) is copied into the pod by an init container, so --image needs the command's own tools and what the copied Node needs: glibc, libstdc++ and libgcc_s (debian:12-slim, ubuntu and ubi9 have them; busybox and musl/Alpine images do not, and their workers fail the Job at once, saying what is missing). Everything is owned by the Worklist: \`kubectl teamtask delete NAME\` removes it all. If any part is refused, nothing is left behind.`;
  static override examples = [
    'kubectl teamtask create primes --range 1-1000000 --block-size 1000 --workers 8 --image debian:12-slim -- ./is-prime.sh {}',
    'kubectl teamtask create hosts --from-file hosts.txt --block-size 10 --workers 4 --image busybox:1.36 -- ping -c1 -W1 {}',
    'kubectl teamtask create primes --range 1-100 --block-size 10 --workers 2 --image debian:12-slim --dry-run=client -o yaml -- echo {}',
  ];
  static override strict = false;
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };
  static override flags = {
    range: Flags.string({
      description: 'the integers A to B, both included, e.g. 1-1000000',
      exactlyOne: SOURCES,
    }),
    items: Flags.string({ description: 'the items, comma-separated (at most 1000)', exactlyOne: SOURCES }),
    'from-file': Flags.string({
      description: 'one item per non-empty line of this file (stored in a ConfigMap)',
      exactlyOne: SOURCES,
    }),
    'from-configmap': Flags.string({
      description: 'one item per non-empty line of NAME[/KEY] (key default: items)',
      exactlyOne: SOURCES,
    }),
    'from-worklist': Flags.string({
      description:
        "a secondary of the Worklist [CONTEXT/]NAMESPACE/NAME: its items, in ranges taken from it (CONTEXT: a parent in that kubeconfig context's cluster; create makes a credential there that reaches only the parent and this secondary's Block, and keeps its kubeconfig in the Secret NAME-parent)",
      exactlyOne: SOURCES,
    }),
    'block-size': Flags.integer({ required: true, min: 1, description: 'items a worker takes at a time' }),
    workers: Flags.integer({
      default: 1,
      min: 0,
      description:
        'worker pods (Job parallelism and completions); 0: no Job, workers run `kubectl teamtask work` elsewhere',
    }),
    image: Flags.string({
      description: "the image the command runs in (the user's tools); required unless --workers 0",
    }),
    'runtime-image': Flags.string({ description: 'the Teamtask image the worker runtime is copied from' }),
    jobs: Flags.integer({ default: 1, min: 1, description: 'items each worker runs at once' }),
    'pod-annotation': Flags.string({
      multiple: true,
      description: 'KEY=VALUE annotation on each worker pod (repeatable)',
    }),
    'per-block': Flags.boolean({
      default: false,
      description: 'run the command once per block, items on its stdin (see kubectl teamtask work --help)',
    }),
    'max-attempts': Flags.integer({
      min: 1,
      max: 100,
      description: 'tries per item before it counts as failed (default 3)',
    }),
    cpu: Flags.string({ description: "each worker pod's CPU request, e.g. 500m" }),
    memory: Flags.string({ description: "each worker pod's memory request and limit, e.g. 256Mi" }),
    'service-account': Flags.string({
      description: 'run workers as this existing ServiceAccount (no Role is made)',
    }),
    'dry-run': Flags.option({
      options: ['none', 'client', 'server'] as const,
      default: 'none' as const,
      description: 'client: print, create nothing; server: also have the API server check every object',
    })(),
    output: Flags.option({
      char: 'o',
      options: ['json', 'yaml', 'name'] as const,
      description: 'output format',
    })(),
  };

  public async run(): Promise<KubernetesObject[]> {
    const f = this.flags;
    const command = commandLine(this.argv, this.positional);
    if (f.workers > 0 && command.length === 0) {
      throw new HintedError('no command given', 'put the command after --, e.g. -- ./check.sh {}');
    }
    if (f.workers > 0 && !f.image) {
      throw new HintedError(
        'no --image given',
        'name the image the command runs in, e.g. --image debian:12-slim (or --workers 0 to run workers elsewhere)',
      );
    }
    const options: CreateOptions = {
      name: this.args.name,
      namespace: this.kube.namespace,
      source: parseSource(f, this.args.name),
      fileItems: f['from-file'] ? readItems(f['from-file']) : undefined,
      blockSize: f['block-size'],
      maxAttempts: f['max-attempts'],
      workers: f.workers,
      image: f.image ?? '',
      runtimeImage: f['runtime-image'],
      command,
      jobs: f.jobs,
      perBlock: f['per-block'],
      podAnnotations: parseAnnotations(f['pod-annotation'] ?? []),
      cpu: f.cpu,
      memory: f.memory,
      serviceAccount: f['service-account'],
    };
    const mode = f['dry-run'];
    const parent = f['from-worklist'] ? await this.parentOf(f['from-worklist'], options) : undefined;
    const worklist = worklistObject(options);
    if (mode !== 'client' && options.source.configMap && !options.fileItems) {
      await this.checkConfigMap(options.source.configMap, options.blockSize);
    }
    // Beside the parent first (a secondary elsewhere needs its token for its kubeconfig Secret),
    // taken back if anything after fails.
    const beside: Made[] = [];
    const besideParent = async () => {
      if (!parent) return;
      const secondary = { namespace: options.namespace, name: options.name };
      const toMake = parent.kube
        ? [
            ...secondaryIdentityObjects(parent.worklist, secondary),
            ...parentReaderIdentityObjects(parent.worklist, secondary),
          ]
        : f.workers > 0 && !options.serviceAccount
          ? parentReaderObjects(parent.worklist, secondary, workerServiceAccount(options.name))
          : [];
      const kc = parent.kube?.kc ?? this.kube.kc;
      for (const o of toMake)
        beside.push({ kc, o: mode === 'client' ? o : await makeIn(kc, o, mode === 'server') });
      if (parent.kube) {
        const ns = parent.worklist.metadata.namespace!;
        const access = clusterAccess(parent.kube);
        const kubeconfigOf = async (account: string) =>
          parentKubeconfig(access, mode === 'none' ? await waitForToken(kc, ns, account) : '<token>', ns);
        options.parentKubeconfig = await kubeconfigOf(secondaryAccount(secondary.namespace, secondary.name));
        options.itemsKubeconfig = await kubeconfigOf(parentReaderRole(secondary.namespace, secondary.name));
      }
    };
    // Read when undoing: what was made beside the parent by then.
    const undoBeside: Undo = {
      run: () => Promise.all(beside.map((m) => deleteIn(m.kc, m.o))),
      get what() {
        return beside.map((m) => objectRef(m.o)).join(', ');
      },
      get command() {
        return `kubectl delete ${beside.map((m) => objectRef(m.o)).join(' ')} -n ${parent?.worklist.metadata.namespace}${parent?.context ? ` --context ${parent.context}` : ''}`;
      },
      server: parent?.kube?.server ?? this.kube.server,
    };
    if (mode === 'none') await undoOnFailure(besideParent, undoBeside);
    else await besideParent();
    // A client dry run makes nothing: without the Worklist's UID there are no owner references
    // (applied by hand, these objects are not removed with the Worklist). A server dry run has
    // the API server check each object, and stores none.
    let created: Worklist = worklist;
    let make = async (o: KubernetesObject): Promise<KubernetesObject> => withoutOwners(o);
    if (mode !== 'client') {
      const dryRun = mode === 'server';
      const createWorklist = () =>
        new TeamtaskClient(this.kube.kc).worklists(options.namespace).create(worklist, { dryRun });
      // Refused (a quota, a policy, a name taken): nothing stays beside the parent either.
      created =
        mode === 'none' && beside.length
          ? await undoOnFailure(createWorklist, undoBeside)
          : await createWorklist();
      const api = KubernetesObjectApi.makeApiClient(this.kube.kc);
      make = (o) => api.create(o, undefined, dryRun ? 'All' : undefined);
    }
    const objects: KubernetesObject[] = [created];
    const makeOwned = async () => {
      for (const o of ownedObjects(options, { uid: created.metadata.uid ?? '' })) objects.push(await make(o));
    };
    if (mode === 'none') {
      const all = this.deleting(created);
      await undoOnFailure(makeOwned, {
        run: async () => {
          await all.run();
          await undoBeside.run();
        },
        what: [all.what, ...(beside.length ? [undoBeside.what] : [])].join(', '),
        command: [all.command, ...(beside.length ? [undoBeside.command] : [])].join('; '),
        server: all.server,
      });
    } else await makeOwned();
    // What was made beside the parent, elsewhere: said so, with the context.
    const where = parent?.context
      ? ` in context ${parent.context}, namespace ${parent.worklist.metadata.namespace}`
      : parent
        ? ` in namespace ${parent.worklist.metadata.namespace}`
        : '';
    const all = [...beside.map((m) => m.o), ...objects];
    this.print(
      {
        data: { apiVersion: 'v1', kind: 'List', items: all.map(toWire) },
        names: () => all.map(objectRef),
        human: () =>
          [
            ...beside.map((m) => `${objectRef(m.o)} created${where}${SUFFIX[mode]}`),
            ...objects.map((o) => `${objectRef(o)} created${SUFFIX[mode]}`),
          ].join('\n'),
      },
      f.output,
    );
    return all;
  }

  /**
   * The parent `--from-worklist` names, read (it must exist: a secondary of nothing is a typo),
   * and the source it makes: in another context's cluster, the parent's namespace always named
   * and the kubeconfig Secret this secondary will hold.
   */
  private async parentOf(
    text: string,
    options: CreateOptions,
  ): Promise<{ worklist: Worklist; kube?: ResolvedKube; context?: string }> {
    const ref = parseParentRef(text, this.kube.namespace);
    const elsewhere = ref.context !== undefined && ref.context !== this.kube.kc.getCurrentContext();
    const kube = elsewhere
      ? loadKube({ kubeconfig: this.flags.kubeconfig, context: ref.context })
      : undefined;
    if (elsewhere) {
      options.source = {
        worklist: {
          name: ref.name,
          namespace: ref.namespace,
          kubeconfigSecret: parentKubeconfigSecret(options.name),
          itemsKubeconfigSecret: parentItemsKubeconfigSecret(options.name),
        },
      };
    }
    try {
      const worklist = await new TeamtaskClient((kube ?? this.kube).kc)
        .worklists(ref.namespace)
        .get(ref.name);
      return { worklist, kube, context: elsewhere ? ref.context : undefined };
    } catch (err) {
      if (!isApiError(err, 404)) throw err;
      const ctx = elsewhere ? ` --context ${ref.context}` : '';
      throw new HintedError(
        `parent worklist "${ref.name}" not found in namespace ${ref.namespace}${elsewhere ? ` of context ${ref.context}` : ''}`,
        `check the name: kubectl get worklists -n ${ref.namespace}${ctx}`,
      );
    }
  }

  /**
   * Takes back a Worklist whose other objects could not all be created: nothing is left
   * half-created, as the garbage collector removes whatever the Worklist already owns.
   * Foreground: its name stays taken until they are gone, so a create run again does not meet
   * them.
   */
  private deleting(worklist: Worklist): Undo {
    const { name, namespace } = worklist.metadata;
    return {
      run: () =>
        new TeamtaskClient(this.kube.kc)
          .worklists(namespace!)
          .delete(name!, { propagationPolicy: 'Foreground' }),
      what: worklistRef(name!),
      command: `kubectl teamtask delete ${name} -n ${namespace}`,
      server: this.kube.server,
    };
  }

  /**
   * Refuses a ConfigMap source that is missing, lacks its key, or would make more blocks than
   * the cluster allows: the admission policy cannot read ConfigMaps. A check the user may not
   * make (no right to read the ConfigMap or the limits) is left to the controller, which sets a
   * condition.
   */
  private async checkConfigMap(source: WorklistSpecSourceConfigMap, blockSize: number): Promise<void> {
    const core = this.kube.kc.makeApiClient(CoreV1Api);
    const ns = this.kube.namespace;
    const key = itemsKey(source);
    let text: string | undefined;
    try {
      const cm = await core.readNamespacedConfigMap({ name: source.name, namespace: ns });
      text = cm.data?.[key];
      if (text === undefined) {
        throw new HintedError(
          `ConfigMap ${source.name} has no key ${key}`,
          `name the key that holds the items: --from-configmap ${source.name}/KEY (it has ${Object.keys(cm.data ?? {}).join(', ') || 'no keys'})`,
        );
      }
    } catch (err) {
      if (isApiError(err, 404)) {
        throw new HintedError(
          `ConfigMap ${source.name} not found in namespace ${ns}`,
          `create it first, one item per line: kubectl create configmap ${source.name} -n ${ns} --from-file=${key}=FILE`,
        );
      }
      if (err instanceof HintedError || !isApiError(err, 403)) throw err;
      return;
    }
    const items = itemLines(text).length;
    if (items === 0) {
      throw new HintedError(
        `ConfigMap ${source.name} has no items under key ${key}`,
        'put one item per line',
      );
    }
    let max: number | undefined;
    try {
      const limits = await core.readNamespacedConfigMap({
        name: LIMITS_CONFIGMAP,
        namespace: SYSTEM_NAMESPACE,
      });
      max = maxBlocksPerWorklist(limits.data);
    } catch {
      return;
    }
    const blocks = Math.ceil(items / blockSize);
    if (max !== undefined && blocks > max) {
      throw new HintedError(
        `ConfigMap ${source.name}'s ${items} items in blocks of ${blockSize} make ${blocks} blocks, more than the cluster allows (${max}, ConfigMap ${SYSTEM_NAMESPACE}/${LIMITS_CONFIGMAP})`,
        `raise --block-size to at least ${Math.ceil(items / max)}`,
      );
    }
  }
}

function parseAnnotations(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0)
        throw new HintedError(
          `--pod-annotation "${pair}" is not KEY=VALUE`,
          'e.g. --pod-annotation sidecar.istio.io/inject=false',
        );
      return [pair.slice(0, i), pair.slice(i + 1)];
    }),
  );
}

function readItems(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HintedError(
      `cannot read ${path}: ${(err as Error).message}`,
      'give a readable file, one item per line',
    );
  }
  const items = itemLines(text);
  if (items.length === 0) throw new HintedError(`${path} has no items`, 'put one item per line');
  return items;
}

/** An object made beside the parent, and the cluster it is in. */
interface Made {
  kc: KubeConfig;
  o: KubernetesObject;
}

const makeIn = (kc: KubeConfig, o: KubernetesObject, dryRun: boolean): Promise<KubernetesObject> =>
  KubernetesObjectApi.makeApiClient(kc).create(o, undefined, dryRun ? 'All' : undefined);

async function deleteIn(kc: KubeConfig, o: KubernetesObject): Promise<void> {
  try {
    await KubernetesObjectApi.makeApiClient(kc).delete(o);
  } catch (err) {
    if (!isApiError(err, 404)) throw err;
  }
}

/** The token the token controller puts into a new service-account-token Secret. */
async function waitForToken(kc: KubeConfig, namespace: string, name: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + TOKEN_WAIT_MS;
  for (;;) {
    const token = (await core.readNamespacedSecret({ name, namespace })).data?.token;
    if (token) return Buffer.from(token, 'base64').toString('utf8');
    if (Date.now() > deadline)
      throw new HintedError(
        `Secret ${namespace}/${name} got no token in ${TOKEN_WAIT_MS / 1000} s`,
        "the parent's cluster fills service-account-token Secrets with kube-controller-manager's token controller (--service-account-private-key-file): check it runs",
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How the context reaches its cluster, the CA inline (a file path means nothing where the Secret is read). */
function clusterAccess(kube: ResolvedKube): ClusterAccess {
  const c = kube.kc.getCurrentCluster()!;
  return {
    server: c.server,
    caData: c.caData ?? (c.caFile ? readFileSync(c.caFile).toString('base64') : undefined),
    skipTLSVerify: c.skipTLSVerify,
    tlsServerName: c.tlsServerName,
  };
}

const withoutOwners = (o: KubernetesObject): KubernetesObject => ({
  ...o,
  metadata: { ...o.metadata, ownerReferences: undefined },
});
