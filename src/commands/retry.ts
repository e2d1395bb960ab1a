import { Args, Flags } from '@oclif/core';
import { CONTROLLER_NAME, SYSTEM_NAMESPACE } from '../api/names.js';
import { BaseCommand } from '../cli/base-command.js';
import { durationFlag } from '../cli/flags.js';
import { HintedError, isApiError } from '../kube/errors.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { RangeSet } from '../ledger/range-set.js';
import { worklistRef } from '../printers/ref.js';
import { readWorklist } from '../worklist/read.js';

export default class Retry extends BaseCommand<typeof Retry> {
  static override summary = 'Put failed items, or a range of offsets, back into the pool.';
  static override description =
    'Writes a retry request into the Worklist (spec.retry); the controller applies it once: the items become fresh work with their attempts reset (completed ones in --range included: they run again), and the Worklist is no longer Complete. Items held by a worker or already waiting to be retried are left as they are. Offsets are 0-based positions, as in status.completed and describe. Waits until the controller has applied it.';
  static override examples = [
    'kubectl teamtask retry hosts --failed',
    'kubectl teamtask retry primes --range 0-999,4000',
  ];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };
  static override flags = {
    failed: Flags.boolean({ default: false, description: 'every failed item' }),
    range: Flags.string({ description: 'offsets, as in status.completed: e.g. 0-99,250' }),
    timeout: durationFlag({ default: 30_000, description: 'how long to wait for the controller' }),
  };

  public async run(): Promise<{ putBack: string }> {
    const { failed, range, timeout } = this.flags;
    if (!failed && range === undefined) {
      this.usage('say what to retry: --failed, --range A-B, or both');
    }
    let ranges: string | undefined;
    if (range !== undefined) {
      try {
        ranges = RangeSet.parse(range).toString();
      } catch {
        throw new HintedError(
          `--range "${range}" is not a list of offsets`,
          'e.g. --range 0-99,250 (0-based offsets)',
        );
      }
      if (!ranges) throw new HintedError('--range is empty', 'e.g. --range 0-99,250 (0-based offsets)');
    }
    const { namespace } = this.kube;
    const name = this.args.name;
    const worklists = new TeamtaskClient(this.kube.kc).worklists(namespace);
    const read = () => readWorklist(this.kube.kc, namespace, name);
    // A compare-and-swap on the resourceVersion, so two retries at once never share an id; the
    // controller writes status often, so a conflict is read again and tried again. The request
    // replaces spec.retry whole (a merge would keep the last request's failed or ranges).
    let w = await read();
    let id: number;
    for (let attempt = 1; ; attempt++) {
      id = Math.max(w.spec.retry?.id ?? 0, w.status?.retryApplied ?? 0) + 1;
      try {
        await worklists.patch(name, [
          { op: 'test', path: '/metadata/resourceVersion', value: w.metadata.resourceVersion },
          {
            op: 'add',
            path: '/spec/retry',
            value: { id, ...(failed ? { failed: true } : {}), ...(ranges ? { ranges } : {}) },
          },
        ]);
        break;
      } catch (err) {
        if (!(isApiError(err, 409) || isApiError(err, 422)) || attempt >= 5) throw err;
        w = await read();
      }
    }
    const before = { completed: w.status?.completed ?? '', failed: w.status?.failed ?? '' };
    const deadline = Date.now() + timeout;
    for (;;) {
      const now = await read();
      if ((now.status?.retryApplied ?? 0) >= id) {
        const was = RangeSet.parse(before.completed).union(RangeSet.parse(before.failed));
        const is = RangeSet.parse(now.status?.completed ?? '').union(
          RangeSet.parse(now.status?.failed ?? ''),
        );
        const back = was.subtract(is);
        this.log(
          back.isEmpty
            ? `${worklistRef(name)}: nothing to put back (no such item is completed or failed)`
            : `${worklistRef(name)}: ${back.size} item(s) back in the pool (offsets ${back.toString()})`,
        );
        if (!back.isEmpty && !(now.status?.workers ?? 0)) {
          this.logToStderr(
            `hint: no worker is attached; start some: kubectl teamtask work ${name} -n ${namespace} -- CMD`,
          );
        }
        return { putBack: back.toString() };
      }
      if (Date.now() > deadline) {
        throw new HintedError(
          `the retry request was written, but no controller applied it within ${timeout / 1000}s`,
          `is the controller running? (kubectl -n ${SYSTEM_NAMESPACE} get deploy ${CONTROLLER_NAME}); it applies the request when it starts`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
