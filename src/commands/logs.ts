import { Writable } from 'node:stream';
import { Args, Flags } from '@oclif/core';
import { CoreV1Api, Log, type V1Pod } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag } from '../cli/flags.js';
import { explain, HintedError } from '../kube/errors.js';
import { readWorklist } from '../worklist/read.js';

const INDEX = 'batch.kubernetes.io/job-completion-index';

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
      await core.listNamespacedPod({ namespace, labelSelector: `teamtask.dev/worklist=${name}` })
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
    // Follow every pod at once until Ctrl-C, or until every stream ended. Stopping exits at once:
    // aborting client-node's log request leaves an unhandled stream error behind.
    const log = new Log(kc);
    const exit = () => process.exit(0);
    process.once('SIGINT', exit);
    process.once('SIGTERM', exit);
    await Promise.all(
      pods.map(async (pod) => {
        const out = lines((line) => this.log(`${prefix(pod)} ${line}`));
        const ended = new Promise<void>((resolve) => out.once('finish', resolve));
        try {
          await log.log(namespace, pod.metadata!.name!, 'worker', out, {
            follow: true,
            sinceSeconds: options.sinceSeconds,
            tailLines: options.tailLines,
          });
          await ended;
        } catch (err) {
          this.logToStderr(`${prefix(pod)} (no logs: ${explain(err).message})`);
        }
      }),
    );
  }
}

const prefix = (p: V1Pod) => {
  const index = p.metadata?.annotations?.[INDEX];
  return index === undefined ? `[${p.metadata?.name}]` : `[worker-${index}]`;
};

const byIndexThenAge = (x: V1Pod, y: V1Pod) =>
  Number(x.metadata?.annotations?.[INDEX] ?? -1) - Number(y.metadata?.annotations?.[INDEX] ?? -1) ||
  String(x.metadata?.creationTimestamp ?? '').localeCompare(String(y.metadata?.creationTimestamp ?? ''));

/** A stream that calls `onLine` for every complete line written to it. */
function lines(onLine: (line: string) => void): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      for (const line of parts) onLine(line);
      done();
    },
    final(done) {
      if (rest) onLine(rest);
      done();
    },
  });
}
