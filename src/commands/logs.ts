import { createInterface } from 'node:readline';
import { Args, Flags } from '@oclif/core';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { JOB_COMPLETION_INDEX_ANNOTATION, WORKLIST_LABEL } from '../api/names.js';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag } from '../cli/flags.js';
import { explain, HintedError } from '../kube/errors.js';
import { rawGet } from '../kube/raw.js';
import { readWorklist } from '../worklist/read.js';

const INDEX = JOB_COMPLETION_INDEX_ANNOTATION;

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary = "The worker pods' logs, each line prefixed by its worker.";
  static override description =
    "Reads the logs of the Worklist's worker pods (the pods of its Job, by completion index), each line prefixed with [worker-I]. With -f, follows the pods there are now until Ctrl-C. Workers outside the cluster log to their own terminal.";
  static override examples = [
    'kubectl teamtask logs primes',
    'kubectl teamtask logs primes --worker 3 -f',
    'kubectl teamtask logs primes --since 10m',
  ];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };
  static override flags = {
    worker: Flags.integer({ min: 0, description: 'only the worker with this index' }),
    follow: Flags.boolean({ char: 'f', default: false, description: 'keep streaming new lines' }),
    since: durationFlag({ description: 'only lines newer than this, e.g. 10m' }),
    tail: Flags.integer({ min: 0, description: 'only the last N lines of each worker' }),
  };

  public async run(): Promise<void> {
    const { kc, namespace } = this.kube;
    const name = this.args.name;
    await readWorklist(kc, namespace, name);
    const core = kc.makeApiClient(CoreV1Api);
    const pods = (
      await core.listNamespacedPod({ namespace, labelSelector: `${WORKLIST_LABEL}=${name}` })
    ).items
      .filter(
        (p) =>
          this.flags.worker === undefined || p.metadata?.annotations?.[INDEX] === String(this.flags.worker),
      )
      .sort(byIndexThenAge);
    if (pods.length === 0) {
      throw new HintedError(
        this.flags.worker === undefined
          ? `worklist "${name}" has no worker pods`
          : `worklist "${name}" has no worker pod with index ${this.flags.worker}`,
        'workers made with --workers 0, or run with kubectl teamtask work, log to their own terminal; see kubectl teamtask describe list ' +
          name,
      );
    }
    const options = {
      container: 'worker',
      sinceSeconds:
        this.flags.since === undefined ? undefined : Math.max(1, Math.round(this.flags.since / 1000)),
      tailLines: this.flags.tail,
    };
    if (!this.flags.follow) {
      for (const pod of pods) {
        try {
          const text = await core.readNamespacedPodLog({ namespace, name: pod.metadata!.name!, ...options });
          for (const line of text.split('\n').filter(Boolean)) this.log(`${prefix(pod)} ${line}`);
        } catch (err) {
          this.logToStderr(`${prefix(pod)} (no logs: ${explain(err).message})`);
        }
      }
      return;
    }
    // Follow every pod at once until Ctrl-C, or until every stream ended. Our own request, not
    // client-node's Log: its piped stream leaves a reset connection as an unhandled error.
    this.abortOnSignals().addEventListener('abort', () => process.exit(0));
    await Promise.all(
      pods.map((pod) =>
        this.follow(namespace, pod.metadata!.name!, options, (line) =>
          this.log(`${prefix(pod)} ${line}`),
        ).catch((err: unknown) =>
          this.logToStderr(`${prefix(pod)} (log stream ended: ${explain(err).message})`),
        ),
      ),
    );
  }

  /** Streams a container's log lines until the server ends the stream. */
  private async follow(
    namespace: string,
    pod: string,
    o: { container: string; sinceSeconds?: number; tailLines?: number },
    onLine: (line: string) => void,
  ): Promise<void> {
    const query = new URLSearchParams({ container: o.container, follow: 'true' });
    if (o.sinceSeconds !== undefined) query.set('sinceSeconds', String(o.sinceSeconds));
    if (o.tailLines !== undefined) query.set('tailLines', String(o.tailLines));
    const res = await rawGet(this.kube.kc, `/api/v1/namespaces/${namespace}/pods/${pod}/log?${query}`);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: res }).on('line', onLine);
      res.on('end', resolve);
      res.on('error', reject);
    });
  }
}
const prefix = (p: V1Pod) => {
  const index = p.metadata?.annotations?.[INDEX];
  return index === undefined ? `[${p.metadata?.name}]` : `[worker-${index}]`;
};

const byIndexThenAge = (x: V1Pod, y: V1Pod) =>
  Number(x.metadata?.annotations?.[INDEX] ?? -1) - Number(y.metadata?.annotations?.[INDEX] ?? -1) ||
  String(x.metadata?.creationTimestamp ?? '').localeCompare(String(y.metadata?.creationTimestamp ?? ''));
