import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { Controller } from '../controller/controller.js';
import { serveHealth } from '../controller/http.js';

export default class ControllerCommand extends BaseCommand<typeof ControllerCommand> {
  static override summary = 'Run the controller: assign ranges to Blocks and keep every Worklist ledger.';
  static override description =
    'The process the teamtask-controller Deployment runs; it also runs anywhere with a kubeconfig. It watches Worklists and Blocks in all namespaces and stops cleanly on SIGTERM.';
  static override examples = ['kubectl teamtask controller --metrics-bind-address 127.0.0.1:8080'];
  static override flags = {
    'metrics-bind-address': Flags.string({
      default: ':8080',
      description: 'where /metrics, /healthz and /readyz are served (port 0: any free port)',
    }),
    workers: Flags.integer({ default: 2, min: 1, description: 'Worklists reconciled at once' }),
  };

  public async run(): Promise<void> {
    const log = (line: string) => this.logToStderr(`${new Date().toISOString()} ${line}`);
    const controller = new Controller(this.kube.kc, { workers: this.flags.workers, log });
    const { server, address } = await serveHealth(controller, this.flags['metrics-bind-address']);
    log(`serving /metrics, /healthz and /readyz on ${address}`);
    await controller.start();
    log(`watching Worklists and Blocks on ${this.kube.server}`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    log('stopping');
    await controller.stop();
    server.close();
  }
}
