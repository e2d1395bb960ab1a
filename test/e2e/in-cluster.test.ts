import { AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOf } from '../../src/ledger/ledger.js';
import { eventually, freshNamespace, kubeConfig, kubectl, teamtask } from '../support/kube.js';
import { readWorklist } from '../support/read.js';

// Teamtask as a user runs it on a real cluster: the controller Deployment from the Teamtask image,
// workers in Indexed Job pods with the runtime copied in, all in real containers on the local
// cluster's real node (kubelet, containerd, runc). No Teamtask process runs on this machine.

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
let ns: Awaited<ReturnType<typeof freshNamespace>>;

/** The number's own line when it is prime: the per-item command, in plain POSIX sh. */
const IS_PRIME =
  'n=$0; [ "$n" -lt 2 ] && exit 0; i=2; while [ $((i * i)) -le "$n" ]; do [ $((n % i)) -eq 0 ] && exit 0; i=$((i + 1)); done; echo "prime $n"';
const primesUpTo = (max: number) =>
  Array.from({ length: max + 1 }, (_, n) => n).filter((n) => {
    if (n < 2) return false;
    for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
    return true;
  });

const DEBIAN = 'docker.io/library/debian:12-slim';
/** `kubectl teamtask create NAME --range R --block-size B --workers W … --image IMAGE -- CMD` in the test's namespace. */
const create = (
  name: string,
  o: { range: string; blockSize: number; workers: number; image?: string; flags?: string[] },
  ...command: string[]
) => {
  const res = teamtask(
    'create',
    name,
    '-n',
    ns.name,
    '--range',
    o.range,
    '--block-size',
    String(o.blockSize),
    '--workers',
    String(o.workers),
    ...(o.flags ?? []),
    '--image',
    o.image ?? DEBIAN,
    '--',
    ...command,
  );
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
};
const completedAtLeast = (worklist: string, n: number) =>
  eventually(
    `${n} items of ${worklist} done`,
    async () => ((await readWorklist(ns.name, worklist)).status?.completedItems ?? 0) >= n || undefined,
    180_000,
    200,
  );

const controllerPods = async () =>
  (
    await core.listNamespacedPod({
      namespace: 'teamtask-system',
      labelSelector: 'app.kubernetes.io/name=teamtask-controller',
    })
  ).items.filter((p) => !p.metadata?.deletionTimestamp);
const leaseHolder = async () =>
  (await leases.readNamespacedLease({ name: 'teamtask-controller', namespace: 'teamtask-system' })).spec
    ?.holderIdentity ?? '';
const podOf = (identity: string) => identity.replace(/_[^_]*$/, '');
const workerPods = async (worklist: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `teamtask.dev/worklist=${worklist}` }))
    .items;
const jobDone = (name: string) =>
  eventually(
    `job ${name} to finish`,
    async () => {
      const j = await batch.readNamespacedJob({ name, namespace: ns.name });
      return j.status?.conditions?.find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
    },
    240_000,
    1000,
  );

beforeAll(async () => {
  // Waits until a replica of the Deployment leads (src/install/readiness.ts).
  const installed = teamtask('install');
  expect(installed.stderr).toBe('');
  expect(installed.status).toBe(0);
  ns = await freshNamespace('e2e-incluster');
}, 240_000);
afterAll(async () => {
  await ns?.remove();
});

describe('in real pods on the real node', () => {
  it('runs the controller as its Deployment: two non-root replicas with a read-only root, one leading', async () => {
    const pods = await controllerPods();
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.spec!.nodeName).toBe('teamtask-node');
      expect(p.status!.phase).toBe('Running');
      expect(p.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
      expect(p.spec!.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    }
    expect(pods.map((p) => p.metadata!.name)).toContain(podOf(await leaseHolder()));
    const d = await apps.readNamespacedDeployment({
      name: 'teamtask-controller',
      namespace: 'teamtask-system',
    });
    expect(d.status).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  });

  it('finds every prime once with worker pods, while the leading controller is force-deleted and replaced', async () => {
    create(
      'primes',
      { range: '1-20000', blockSize: 500, workers: 4, flags: ['--jobs', '2'] },
      'sh',
      '-c',
      IS_PRIME,
      '{}',
    );
    // Mid-run, the leader dies without a word; the other replica takes the Lease over.
    await completedAtLeast('primes', 6000);
    const leader = podOf(await leaseHolder());
    expect(
      kubectl('delete', 'pod', leader, '-n', 'teamtask-system', '--force', '--grace-period=0').status,
    ).toBe(0);
    await eventually(
      'another replica to lead',
      async () => {
        const holder = podOf(await leaseHolder());
        return holder && holder !== leader ? holder : undefined;
      },
      60_000,
    );

    expect((await jobDone('primes-workers')).type).toBe('Complete');
    const w = await readWorklist(ns.name, 'primes');
    expect(w.status).toMatchObject({ completedItems: 20000, failedItems: 0 });
    const pods = await workerPods('primes');
    expect(pods.map((p) => p.spec!.nodeName)).toEqual(pods.map(() => 'teamtask-node'));

    // The pods' own output, through `kubectl teamtask logs`: every prime, each exactly once.
    const logs = teamtask('logs', 'primes', '-n', ns.name);
    expect(logs.stderr).toBe('');
    const found = logs.stdout
      .split('\n')
      .map((l) => /^\[worker-\d\] prime (\d+)$/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    expect(found).toEqual(primesUpTo(20000));
  }, 400000);

  it("hands a deleted worker pod's items to others; the Job replaces the pod and nothing is lost", async () => {
    create(
      'sleepy',
      { range: '1-120', blockSize: 10, workers: 3 },
      'sh',
      '-c',
      'sleep 0.2; echo "did $0"',
      '{}',
    );
    const victim = await eventually(
      'a worker pod working on a range',
      async () => {
        const w = await readWorklist(ns.name, 'sleepy');
        const busy = (await workerPods('sleepy')).find(
          (p) => p.status?.phase === 'Running' && ledgerOf(w).assignments.has(p.metadata!.name!),
        );
        return (
          busy && {
            name: busy.metadata!.name!,
            index: busy.metadata!.labels!['batch.kubernetes.io/job-completion-index']!,
          }
        );
      },
      120_000,
      200,
    );
    expect(kubectl('delete', 'pod', victim.name, '-n', ns.name, '--wait=false').status).toBe(0);

    expect((await jobDone('sleepy-workers')).type).toBe('Complete');
    expect((await readWorklist(ns.name, 'sleepy')).status).toMatchObject({
      completedItems: 120,
      failedItems: 0,
    });
    // The Job made a new pod for the deleted one's index.
    const pods = await workerPods('sleepy');
    expect(pods.map((p) => p.metadata!.name)).not.toContain(victim.name);
    expect(pods.map((p) => p.metadata!.labels!['batch.kubernetes.io/job-completion-index'])).toContain(
      victim.index,
    );
  }, 300000);

  it('suspends running worker pods, which give their ranges back, and resumes them to the end', async () => {
    create('pausable', { range: '1-60', blockSize: 5, workers: 2 }, 'sh', '-c', 'sleep 0.5', '{}');
    await completedAtLeast('pausable', 5);
    expect(teamtask('suspend', 'pausable', '-n', ns.name).status).toBe(0);
    await eventually(
      'the worker pods to stop and their ranges to come back',
      async () => {
        const running = (await workerPods('pausable')).filter((p) => p.status?.phase === 'Running');
        const w = await readWorklist(ns.name, 'pausable');
        return running.length === 0 && (w.status?.assigned ?? []).length === 0 ? w : undefined;
      },
      90_000,
      500,
    );
    const paused = (await readWorklist(ns.name, 'pausable')).status!.completedItems!;
    expect(paused).toBeLessThan(60);
    expect(teamtask('resume', 'pausable', '-n', ns.name).status).toBe(0);
    expect((await jobDone('pausable-workers')).type).toBe('Complete');
    expect((await readWorklist(ns.name, 'pausable')).status).toMatchObject({
      completedItems: 60,
      failedItems: 0,
    });
  }, 300000);

  it('says in one line, with a hint, why install cannot finish when the controller image is missing; install puts it right', () => {
    const broken = teamtask('install', '--image', 'docker.io/teamtask/absent:0', '--timeout', '120s');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(
      /^error: controller pod teamtask-system\/teamtask-controller-[a-z0-9-]+ cannot start: (ImagePullBackOff|ErrImageNeverPull): .*\nhint: the nodes cannot get the image docker\.io\/teamtask\/absent:0: .*kind load image-archive.*\n$/,
    );
    // The replicas of the good image kept leading meanwhile; installing the right one rolls back.
    const fixed = teamtask('install');
    expect(fixed.stderr).toBe('');
    expect(fixed.status).toBe(0);
  }, 240000);

  it('retries an item whose command the out-of-memory killer stops, fails it after maxAttempts, and says why', async () => {
    // 256 MiB for the worker container: the command that reads /dev/zero as one line outgrows
    // Node, so the kernel kills it (the largest process), not the worker.
    create(
      'hungry',
      { range: '1-6', blockSize: 3, workers: 1, flags: ['--max-attempts', '2', '--memory', '256Mi'] },
      'sh',
      '-c',
      'if [ "$0" = 4 ]; then tail /dev/zero; fi',
      '{}',
    );
    expect((await jobDone('hungry-workers')).type).toBe('Complete');
    expect((await readWorklist(ns.name, 'hungry')).status).toMatchObject({
      completedItems: 5,
      failedItems: 1,
      failed: '3',
    });
    // Events are written after the Blocks' statuses, whose Drained ends the workers: wait for it.
    const events = await eventually('the ItemsFailed event', async () => {
      const messages = kubectl(
        'get',
        'events',
        '-n',
        ns.name,
        '--field-selector',
        'involvedObject.name=hungry,reason=ItemsFailed',
        '-o',
        'jsonpath={.items[*].message}',
      ).stdout;
      return messages || undefined;
    });
    expect(events).toMatch(
      /^1 item\(s\) failed 2 attempt\(s\): offsets 3; last failure, hungry-workers-0-\w+: killed by the out-of-memory killer: the container's memory limit is too small for the command$/,
    );
  }, 180_000);

  it('fails the Job at once, saying what is missing, when the image lacks the libraries Node needs', async () => {
    create(
      'musl-like',
      { range: '1-10', blockSize: 5, workers: 1, image: 'docker.io/teamtask/no-libstdcxx:test' },
      'true',
    );
    const failed = await jobDone('musl-like-workers');
    expect(failed).toMatchObject({ type: 'Failed', reason: 'PodFailurePolicy' });
    const [pod] = await workerPods('musl-like');
    const terminated = pod!.status!.containerStatuses![0]!.state!.terminated!;
    expect(terminated.exitCode).toBe(126);
    expect(terminated.message?.trim()).toMatch(
      /^error: the worker image lacks libstdc\+\+\.so\.6, libgcc_s\.so\.1, which the Teamtask worker runtime \(Node\.js\) needs; /,
    );
  }, 180000);
});
