import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { hostname } from 'node:os';
import { Controller, DEFAULT_LIMITS, DEFAULT_RECONCILE_WORKERS } from '../controller/controller.js';
import { readiness, serveHealth } from '../controller/http.js';
import { LeaderElector } from '../controller/leader.js';
import { durationFlag } from '../cli/flags.js';
import { CONTROLLER_NAME, SYSTEM_NAMESPACE } from '../api/names.js';

export default class ControllerCommand extends BaseCommand<typeof ControllerCommand> {
  static override summary = 'Run the controller: assign ranges to Blocks and keep every Worklist ledger.';
  static override description = `The process the ${CONTROLLER_NAME} Deployment runs; it also runs anywhere with a kubeconfig. It watches Worklists and Blocks in all namespaces and stops cleanly on SIGTERM.`;
  static override examples = ['kubectl teamtask controller --metrics-bind-address 127.0.0.1:8080'];
  static override flags = {
    'metrics-bind-address': Flags.string({
      default: '127.0.0.1:8080',
      description:
        'where /metrics, /healthz and /readyz are served (port 0: any free port; ":8080" is every interface); the Deployment uses the pod\'s IP',
    }),
    workers: Flags.integer({
      default: DEFAULT_RECONCILE_WORKERS,
      min: 1,
      description: 'Worklists reconciled at once',
    }),
    'watch-namespace': Flags.string({
      description: 'reconcile only the Worklists of this namespace (default: all namespaces)',
    }),
    'leader-elect': Flags.boolean({
      default: true,
      allowNo: true,
      description: `take the Lease ${CONTROLLER_NAME} first, so only one replica writes`,
    }),
    'leader-election-namespace': Flags.string({
      default: SYSTEM_NAMESPACE,
      description: "the Lease's namespace",
    }),
    'leader-election-lease': durationFlag({
      default: 15_000,
      description: 'how long a silent leader keeps the Lease',
    }),
    'assign-qps': Flags.integer({
      default: DEFAULT_LIMITS.qps,
      min: 1,
      description: 'ranges handed out per second over all Worklists',
    }),
    'assign-burst': Flags.integer({
      default: DEFAULT_LIMITS.burst,
      min: 1,
      description: 'burst of --assign-qps',
    }),
    'worklist-assign-qps': Flags.integer({
      default: DEFAULT_LIMITS.worklistQps,
      min: 1,
      description: 'ranges handed out per second to the Blocks of one Worklist',
    }),
    'worklist-assign-burst': Flags.integer({
      default: DEFAULT_LIMITS.worklistBurst,
      min: 1,
      description: 'burst of --worklist-assign-qps',
    }),
  };

  public async run(): Promise<void> {
    const log = (line: string) => this.logToStderr(`${new Date().toISOString()} ${line}`);
    // Stops on SIGTERM or SIGINT, or when the Lease is lost.
    const stop = new AbortController();
    this.abortOnSignals(stop);
    const elector = this.flags['leader-elect']
      ? new LeaderElector(this.kube.kc, {
          namespace: this.flags['leader-election-namespace'],
          name: CONTROLLER_NAME,
          leaseMs: this.flags['leader-election-lease'],
          log,
        })
      : undefined;
    const controller = new Controller(this.kube.kc, {
      workers: this.flags.workers,
      namespace: this.flags['watch-namespace'],
      log,
      mayWrite: elector && (() => elector.isLeader()),
      identity: hostname(),
      limits: {
        qps: this.flags['assign-qps'],
        burst: this.flags['assign-burst'],
        worklistQps: this.flags['worklist-assign-qps'],
        worklistBurst: this.flags['worklist-assign-burst'],
      },
    });
    const { server, address } = await serveHealth(controller, this.flags['metrics-bind-address'], () =>
      readiness(!elector || elector.isLeader(), controller.ready, elector?.reachesServer ?? false),
    );
    log(`serving /metrics, /healthz and /readyz on ${address}`);
    const where = this.flags['watch-namespace']
      ? `namespace ${this.flags['watch-namespace']}`
      : 'all namespaces';
    // Caches first, the Lease second: a leader is working from the moment it holds the Lease.
    await controller.start();
    log(`caches of Worklists and Blocks in ${where} on ${this.kube.server} are full`);
    let lost = false;
    if (elector && !stop.signal.aborted) {
      log(
        `waiting for the Lease ${this.flags['leader-election-namespace']}/${CONTROLLER_NAME} as ${elector.identity}`,
      );
      await elector.acquire(stop.signal, () => {
        // Like client-go: a leader that lost its Lease exits; its Pod restarts as a new candidate.
        log('lost the Lease: stopping');
        lost = true;
        stop.abort();
      });
    }
    if (!stop.signal.aborted) {
      controller.lead();
      log(`reconciling Worklists in ${where}`);
    }
    await new Promise<void>((resolve) =>
      stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve()),
    );
    log('stopping');
    await controller.stop();
    server.close();
    if (lost) this.exit(1);
  }
}
