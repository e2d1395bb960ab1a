import { spawn, type ChildProcess } from 'node:child_process';
import { testEnv } from './kube.js';

/** A `kubectl teamtask …` process running in the background, its output collected. */
export class Background {
  readonly child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output = '';
  stdout = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn('kubectl', ['teamtask', ...args], {
      env: testEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer) => (this.output += d.toString());
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      collect(d);
    });
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export const startController = (...extra: string[]) =>
  new Background(['controller', '--metrics-bind-address', '127.0.0.1:0', ...extra]);

/** The controller's /metrics text, from the address it logged. */
export async function controllerMetrics(controller: Background): Promise<string> {
  const m = /serving \/metrics, \/healthz and \/readyz on (\S+)/.exec(controller.output);
  if (!m) throw new Error(`the controller has not logged its metrics address yet:\n${controller.output}`);
  const res = await fetch(`http://${m[1]}/metrics`);
  return res.text();
}
