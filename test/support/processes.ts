import { spawn, type ChildProcess } from 'node:child_process';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { eventually, kubeConfig, kubectl, testEnv } from './kube.js';

/** A `kubectl teamtask …` process running in the background, its output collected. */
export class Background {
  readonly child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output = '';
  stdout = '';
  readonly exited: Promise<number | null>;

  /** `env`: the environment to run in (default the cluster under test's). */
  constructor(args: string[], env: NodeJS.ProcessEnv = testEnv()) {
    this.child = spawn('kubectl', ['teamtask', ...args], {
      env,
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

  /**
   * The first match of `pattern` in its output, once it is there; fails at once, with the
   * output, when the process exits first (a start that failed says why rather than time out).
   */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.output);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`\`kubectl teamtask\` exited before ${what}:\n${this.output}`);
      }
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/**
 * Scales the installed controller Deployment to zero and waits until its pods are gone (each gives
 * the Lease back as it stops), so that a controller process of the test's own, which the test can
 * kill or read metrics from, leads. `kubectl teamtask install` scales it back up.
 */
export async function withoutInClusterController(): Promise<void> {
  const scaled = kubectl('scale', 'deployment/teamtask-controller', '-n', 'teamtask-system', '--replicas=0');
  if (scaled.status !== 0) throw new Error(`scaling the controller to 0: ${scaled.stderr}`);
  const kc = kubeConfig();
  const [apps, core] = [kc.makeApiClient(AppsV1Api), kc.makeApiClient(CoreV1Api)];
  const namespace = 'teamtask-system';
  const labelSelector = 'app.kubernetes.io/name=teamtask-controller';
  // No pod now is not enough: a ReplicaSet that has not yet seen its new size (its controller
  // lags behind) may still make the pods `install` asked for. Gone means: the Deployment and
  // each of its ReplicaSets have seen size 0 and have no pod left, and no pod is listed.
  await eventually('the controller pods to be gone', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'teamtask-controller', namespace });
    const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector });
    const pods = await core.listNamespacedPod({ namespace, labelSelector });
    const settled = (o: { metadata?: { generation?: number }; status?: { observedGeneration?: number } }) =>
      (o.status?.observedGeneration ?? 0) >= (o.metadata?.generation ?? 0);
    return settled(d) &&
      (d.status?.replicas ?? 0) === 0 &&
      sets.items.every((rs) => settled(rs) && rs.spec?.replicas === 0 && (rs.status?.replicas ?? 0) === 0) &&
      pods.items.length === 0
      ? true
      : undefined;
  });
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
