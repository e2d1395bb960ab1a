import { hostname, userInfo } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { commandLine } from '../cli/command-line.js';
import { durationFlag } from '../cli/flags.js';
import { HintedError } from '../kube/errors.js';
import { ENV, STOPPED_EXIT_CODE, WORKER_GRACE_PERIOD_MS } from '../api/names.js';
import { Worker, type WorkerResult } from '../worker/worker.js';
import { GatewayBlockApi } from '../worker/gateway-api.js';
import { gatewayFlags, gatewayTarget } from '../cli/gateway-flags.js';

/** A DNS-1123 name part: lowercase letters, digits and dashes. */
const dnsPart = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

export default class Work extends BaseCommand<typeof Work> {
  static override summary = 'Work on a Worklist: take ranges of items and run a command on each.';
  static override description = `The worker runtime, the same in a Job pod and on a laptop. It creates its own Block, waits until the controller assigns it a range, runs the command once per item with {} replaced by the item ({#} by its offset; with no {} the item is the last argument), or once per block with --per-block, reports progress, and exits 0 once the Worklist is finished. An item whose command exits non-zero is tried again (up to the Worklist's maxAttempts). On SIGTERM or Ctrl-C it starts nothing new, lets running commands finish (up to --grace-period), reports them, gives back the rest, and exits 0 (143 in a Job's pod, so that the pod's index runs again).`;
  static override examples = [
    'kubectl teamtask work primes -- ./is-prime.sh {}',
    'kubectl teamtask work hosts --jobs 8 --tag -- ping -c1 -W1 {}',
    'kubectl teamtask work primes --per-block -- ./count-primes.sh',
  ];
  static override strict = false;
  static override args = {
    worklist: Args.string({ required: true, description: 'the Worklist to work on' }),
  };
  static override flags = {
    jobs: Flags.integer({ char: 'j', default: 1, min: 1, description: 'items run at once' }),
    'per-block': Flags.boolean({
      default: false,
      description: `run the command once per block: the items on its stdin, one per line; ${ENV.WORKLIST}, ${ENV.BLOCK_INDEX}, ${ENV.BLOCK_SIZE} and ${ENV.ATTEMPT} in its environment; exit 0 completes the block, and a stdout line "teamtask:done N" reports the first N items done`,
      exclusive: ['jobs', 'tag'],
    }),
    tag: Flags.boolean({
      default: false,
      description: "prefix each line of an item's output with the item and a tab",
    }),
    'grace-period': durationFlag({
      default: WORKER_GRACE_PERIOD_MS,
      description: 'after SIGTERM or Ctrl-C, how long running commands may finish before they are stopped',
    }),
    ...gatewayFlags,
    block: Flags.string({
      description:
        "name of this worker's Block (default: the pod's name, or <worklist>-<host>- and five random characters); a Block of another worker is refused",
    }),
  };

  public async run(): Promise<WorkerResult> {
    const command = commandLine(this.argv, this.positional);
    if (command.length === 0) {
      throw new HintedError(
        'no command given',
        'put the command after --, e.g. kubectl teamtask work primes -- ./check.sh {}',
      );
    }
    const { worklist } = this.args;
    const host = dnsPart(hostname());
    // In a worker pod the Block is named after the pod (from the downward API: an Indexed Job's
    // pod has the host name JOB-INDEX, which its replacement shares); elsewhere the API server
    // makes a unique name from the Worklist and the host (names joined by dashes could collide).
    const podName = process.env[ENV.POD_NAME];
    // In any Job's pod (create's, or a user's own Indexed Job) a stop must not complete the index.
    const inPod = podName !== undefined || process.env.JOB_COMPLETION_INDEX !== undefined;
    const block = this.flags.block ?? podName;
    const log = (line: string) => this.logToStderr(`teamtask: ${line}`);
    if (this.flags.server && this.flags.block) {
      this.usage('--block names a Block of your own: through the gateway, the gateway names it');
    }
    const gateway = gatewayTarget(this.flags, (m) => this.usage(m));
    // Through the gateway there is no kubeconfig: -n, else default.
    const namespace = gateway ? (this.flags.namespace ?? 'default') : this.kube.namespace;
    const identity = podName ?? `${userInfo().username}@${hostname()}`;
    const stop = this.abortOnSignals();
    const worker = new Worker(
      gateway ? undefined : this.kube.kc,
      {
        namespace,
        worklist,
        block,
        blockPrefix: `${worklist}-${host}-`,
        identity,
        pod: podName,
        command,
        jobs: this.flags.jobs,
        perBlock: this.flags['per-block'],
        tag: this.flags.tag,
        gracePeriodMs: this.flags['grace-period'],
        log,
      },
      gateway &&
        new GatewayBlockApi(gateway, {
          namespace,
          worklist,
          identity,
          splittable: !this.flags['per-block'],
          log,
        }),
    );
    const totals = await worker.run(stop);
    log(`done: ${totals.completed} items completed, ${totals.failed} failed here`);
    // In an Indexed Job, exit 0 completes the pod's index for good: a worker stopped before the
    // Worklist is finished (Job suspended, pod evicted) exits 143 instead, which the Job's
    // podFailurePolicy ignores, so the index runs again (on resume, or at once).
    if (inPod && !totals.finished) process.exitCode = STOPPED_EXIT_CODE;
    return totals;
  }
}
