import { spawnSync } from 'node:child_process';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrue } from '../../src/api/conditions.js';
import { KUBECONFIG_SECRET_KEY, upstreamBlockName } from '../../src/api/names.js';
import { WorklistConditions, type Worklist } from '../../src/api/v1alpha1/index.js';
import { TeamtaskClient } from '../../src/kube/teamtask-client.js';
import { eventually, freshNamespace, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { range, worklistYaml } from '../support/objects.js';
import { Background } from '../support/processes.js';
import { readBlock, readWorklist, worklistEvents } from '../support/read.js';
import { SecondCluster } from '../support/second-cluster.js';
import { InProcessWorker, RunCounts } from '../support/workers.js';

// A secondary Worklist in another cluster (docs/secondary.md): the parent and a secondary in the
// cluster under test, worked by the installed controller (a real pod on the real node); a second
// local control plane with a secondary of the same parent, worked by a controller process of its
// own, reaching the parent through a kubeconfig Secret. The second cluster's API server is
// stopped mid-run (SIGSTOP: it holds connections open and answers nothing, as in a partition);
// the parent takes that share back once its lease runs out and the other secondary finishes it.

type Namespace = Awaited<ReturnType<typeof freshNamespace>>;
const second = new SecondCluster();
let secondKubeconfig: string;
let kcB: KubeConfig;
let parentNs: Namespace;
let nearNs: Namespace;
const farNs = 'e2e-far';
let controllerB: Background | undefined;
const workers: InProcessWorker[] = [];

/** `kubectl teamtask controller` against the second cluster, electing a leader there. */
const startControllerB = () =>
  new Background(
    ['controller', '--metrics-bind-address', '127.0.0.1:0', '--leader-election-lease', '6s'],
    second.shellEnv(secondKubeconfig),
  );

const kubectlB = (args: string[], input?: string) =>
  spawnSync('kubectl', args, { env: second.shellEnv(secondKubeconfig), input, encoding: 'utf8' });

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  parentNs = await freshNamespace('e2e-tree');
  nearNs = await freshNamespace('e2e-near');
  secondKubeconfig = second.up();
  kcB = second.kubeConfig();
  // The CRDs and policies in the second cluster; its controller Deployment has no node to run
  // on there: the test's controller process leads instead.
  const install = kubectlB(['teamtask', 'install', '--no-wait']);
  expect(install.stderr).toBe('');
  expect(
    kubectlB(['wait', '--for=condition=Established', 'crd/worklists.teamtask.dev', 'crd/blocks.teamtask.dev'])
      .status,
  ).toBe(0);
  expect(kubectlB(['create', 'namespace', farNs]).status).toBe(0);
  // What `kubectl config view --minify --flatten` gives: the first cluster's credentials, inline.
  const flat = kubectl('config', 'view', '--raw', '--minify', '--flatten');
  expect(flat.status).toBe(0);
  await kcB.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: farNs,
    body: {
      metadata: { name: 'to-parent' },
      data: { [KUBECONFIG_SECRET_KEY]: Buffer.from(flat.stdout).toString('base64') },
    },
  });
  controllerB = startControllerB();
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
  await controllerB?.stop();
  await second.down();
  await Promise.all([parentNs, nearNs].map((ns) => ns?.remove()));
});

const complete = (what: string, read: () => Promise<Worklist>, timeoutMs = 240_000) =>
  eventually(
    `${what} to be Complete`,
    async () => {
      const w = await read();
      return isTrue(w.status?.conditions, WorklistConditions.Complete) ? w : undefined;
    },
    timeoutMs,
  );

describe('a secondary Worklist in another cluster', () => {
  it("works on its parent through a kubeconfig Secret; a partition gives its share back after the parent's lease, another secondary finishes it, and its late reports change nothing", async () => {
    const total = 20_000;
    // A short lease: the partitioned share comes back within the test's time.
    expect(
      kubectlStdin(
        worklistYaml('tree', { source: range(1, total), blockSize: 1000, leaseSeconds: 10 }),
        'create',
        '-n',
        parentNs.name,
      ).stderr,
    ).toBe('');
    const far = new TeamtaskClient(kcB).worklists(farNs);
    expect(
      kubectlB(
        ['create', '-n', farNs, '-f', '-'],
        worklistYaml('far', {
          source: { worklist: { name: 'tree', namespace: parentNs.name, kubeconfigSecret: 'to-parent' } },
          blockSize: 100,
        }),
      ).stderr,
    ).toBe('');
    const runs = new RunCounts(total);
    // 2 ms an item: 40 s of work for one worker, so that the partition lands mid-run.
    for (const k of [0, 1])
      workers.push(new InProcessWorker(farNs, 'far', `far-${k}`, runs.execute(2), { kc: kcB }));
    const working = await eventually('the far secondary to hold a parent range with items done', async () => {
      const w = await far.get('far');
      return w.status?.upstream?.working && (w.status.completedItems ?? 0) > 0 ? w : undefined;
    });
    // Its items are the parent's, read through the Secret: the far secondary counted them.
    expect(working.status?.totalItems).toBe(total);

    // The near secondary starts now: it finishes what the far one does not.
    expect(
      kubectlStdin(
        worklistYaml('near', {
          source: { worklist: { name: 'tree', namespace: parentNs.name } },
          blockSize: 100,
        }),
        'create',
        '-n',
        nearNs.name,
      ).stderr,
    ).toBe('');
    for (const k of [0, 1])
      workers.push(new InProcessWorker(nearNs.name, 'near', `near-${k}`, runs.execute(2)));

    second.pause();
    // What the far secondary holds of the parent as the partition starts: what it ran of it
    // and had not reported may run again, nothing else.
    const held = (await readBlock(parentNs.name, upstreamBlockName(farNs, 'far'))).status!;
    const heldRanges = [held, held.next].flatMap((r) =>
      r && typeof r.index === 'number' && typeof r.size === 'number' ? [[r.index, r.index + r.size]] : [],
    );
    expect(heldRanges.length).toBeGreaterThan(0);

    const parent = await complete('the parent', () => readWorklist(parentNs.name, 'tree'));
    expect(parent.status).toMatchObject({
      completedItems: total,
      failedItems: 0,
      completed: `0-${total - 1}`,
    });
    expect([...runs.counts].flatMap((c, offset) => (c === 0 ? [offset] : [])).slice(0, 10)).toEqual([]);
    // The parent took the far share back when the lease ran out (no renewal came through the partition).
    const lapsed = (await worklistEvents(parentNs.name, 'tree')).filter((e) => e.reason === 'LeaseExpired');
    expect(lapsed.map((e) => e.message).join('\n')).toContain(`block ${upstreamBlockName(farNs, 'far')}`);
    const twice = [...runs.counts].flatMap((c, offset) => (c > 1 ? [offset] : []));
    expect(twice.filter((o) => !heldRanges.some(([from, to]) => o >= from! && o < to!)).slice(0, 10)).toEqual(
      [],
    );

    // The second cluster answers again. Its controller, if it gave up leading in the
    // partition, starts anew; its late reports are fenced: the parent's ledger stays as it is.
    second.resume();
    await Promise.race([controllerB!.exited, sleep(2000)]);
    const child = controllerB!.child;
    if (child.exitCode !== null || child.signalCode !== null) controllerB = startControllerB();
    const farDone = await complete('the far secondary', () => far.get('far'), 120_000);
    expect(farDone.status?.upstream).toEqual({});
    await Promise.all(workers.map((w) => w.finished));
    expect((await readWorklist(parentNs.name, 'tree')).status).toMatchObject({
      completedItems: total,
      failedItems: 0,
      completed: `0-${total - 1}`,
    });
    await complete('the near secondary', () => readWorklist(nearNs.name, 'near'));
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
