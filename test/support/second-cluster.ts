import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../src/kube/pooled-kubeconfig.js';
import { clusterEnv, REPO_ROOT } from './paths.js';

const scripts = join(REPO_ROOT, 'test', 'cluster');

/**
 * A second local control plane beside the cluster under test, for runs across two clusters:
 * test/cluster/up.sh with TEAMTASK_KCP_REAL_NODE=0 (no node, all on 127.0.0.1, nothing changed
 * on the host), its own state folder and its own ports. Its API server can be paused (SIGSTOP:
 * a cluster that stops answering, connections held open, as in a partition) and resumed.
 */
export class SecondCluster {
  readonly env: NodeJS.ProcessEnv;
  private readonly state: string;
  private readonly bin: string;

  constructor() {
    const first = clusterEnv();
    this.state = join(dirname(first.KCP_STATE), 'e2e-second');
    this.bin = first.KCP_BIN;
    this.env = {
      ...process.env,
      TEAMTASK_KCP_STATE: this.state,
      TEAMTASK_KCP_REAL_NODE: '0',
      TEAMTASK_KCP_NODES: '0',
      TEAMTASK_KCP_ETCD_PORT: '23890',
      TEAMTASK_KCP_ETCD_PEER_PORT: '23900',
      TEAMTASK_KCP_APISERVER_PORT: '16543',
      TEAMTASK_KCP_KCM_PORT: '20357',
      TEAMTASK_KCP_SCHEDULER_PORT: '20359',
      TEAMTASK_KCP_KWOK_PORT: '20347',
    };
  }

  /** Starts it (a fresh one); returns its kubeconfig's path. */
  up(): string {
    const out = execFileSync('bash', [join(scripts, 'up.sh')], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    return out.trim().split('\n').at(-1)!;
  }

  /** Stops what up() started (by its pid files); nothing when it does not run. */
  async down(): Promise<void> {
    this.resume();
    await promisify(execFile)('bash', [join(scripts, 'down.sh')], { env: this.env });
  }

  kubeConfig(): KubeConfig {
    const kc = new PooledKubeConfig();
    kc.loadFromFile(join(this.state, 'kubeconfig'));
    return kc;
  }

  /** The environment of a `kubectl …` pointed at it. */
  shellEnv(kubeconfig: string): NodeJS.ProcessEnv {
    const path = [join(REPO_ROOT, 'bin'), this.bin, process.env.PATH].join(':');
    return { ...process.env, KUBECONFIG: kubeconfig, PATH: path };
  }

  /** Its API server stops answering (its connections stay open). */
  pause(): void {
    this.signalApiServer('SIGSTOP');
  }

  resume(): void {
    this.signalApiServer('SIGCONT');
  }

  private signalApiServer(signal: NodeJS.Signals): void {
    let pid: number;
    try {
      pid = Number(readFileSync(join(this.state, 'pids', 'kube-apiserver.pid'), 'utf8'));
    } catch {
      return;
    }
    // Only the process this state folder started, if it still runs that binary (a pid is reused).
    let exe: string;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return;
    }
    if (exe === realpathSync(join(this.bin, 'kube-apiserver'))) process.kill(pid, signal);
  }
}
