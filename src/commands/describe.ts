import { Args } from '@oclif/core';
import { BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { BaseCommand } from '../cli/base-command.js';
import { resourceNamed } from '../cli/resources.js';
import { WORKLIST_LABEL, workerJob } from '../api/names.js';
import { HintedError, isApiError } from '../kube/errors.js';
import { describeWorklist } from '../printers/describe.js';
import { blocksOf, readWorklist } from '../worklist/read.js';

export default class Describe extends BaseCommand<typeof Describe> {
  static override summary = 'Show a Worklist in detail: ledger, Blocks, Job, pods, conditions, events.';
  static override description =
    "Its spec, counts, the ranges completed and failed, the retry pool, each range out with its Block's worker and lease, every Block, the Job and its pods, the conditions, and recent events.";
  static override examples = [
    'kubectl teamtask describe list primes',
    'kubectl teamtask describe worklist hosts -n ops',
  ];
  static override args = {
    resource: Args.string({ required: true, description: 'worklist (or list, wl)' }),
    name: Args.string({ required: true, description: 'the Worklist name' }),
  };

  public async run(): Promise<string> {
    if (resourceNamed(this.args.resource).kind !== 'Worklist') {
      throw new HintedError(
        'describe shows Worklists',
        `e.g. kubectl teamtask describe list ${this.args.name}`,
      );
    }
    const { kc, namespace } = this.kube;
    const core = kc.makeApiClient(CoreV1Api);
    const name = this.args.name;
    const worklist = await readWorklist(kc, namespace, name);
    const [blocks, job, pods, events] = await Promise.all([
      blocksOf(kc, namespace, name),
      kc
        .makeApiClient(BatchV1Api)
        .readNamespacedJob({ namespace, name: workerJob(name) })
        .then((j): V1Job | undefined =>
          j.metadata?.ownerReferences?.some((r) => r.uid === worklist.metadata.uid) ? j : undefined,
        )
        .catch((err: unknown) => {
          if (isApiError(err, 404)) return undefined;
          throw err;
        }),
      core.listNamespacedPod({ namespace, labelSelector: `${WORKLIST_LABEL}=${name}` }).then((l) => l.items),
      core
        .listNamespacedEvent({
          namespace,
          fieldSelector: `involvedObject.kind=Worklist,involvedObject.name=${name}`,
        })
        .then((l) => l.items.filter((e) => e.involvedObject.uid === worklist.metadata.uid)),
    ]);
    const text = describeWorklist({ worklist, blocks, job, pods: job ? pods : [], events, now: new Date() });
    this.log(text);
    return text;
  }
}
