import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrue } from '../../src/api/conditions.js';
import {
  KUBECONFIG_SECRET_KEY,
  KUBECONFIG_SECRET_LABEL,
  parentReaderRole,
  secondaryAccount,
  upstreamBlockName,
} from '../../src/api/names.js';
import { API_VERSION, WorklistConditions, type Block, type Worklist } from '../../src/api/v1alpha1/index.js';
import { explain } from '../../src/kube/errors.js';
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
  flatKubeconfig = flat.stdout;
  await kcB.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: farNs,
    body: {
      metadata: { name: 'to-parent', labels: { [KUBECONFIG_SECRET_LABEL]: 'true' } },
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

/** The first cluster's kubeconfig, credentials inline (`kubectl config view --minify --flatten`). */
let flatKubeconfig = '';

describe('a secondary Worklist in another cluster', () => {
  it('uses only a kubeconfig Secret labelled for Teamtask: another one, however good, leaves it ParentUnreachable, saying so', async () => {
    await kcB.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: farNs,
      body: {
        metadata: { name: 'not-for-us' },
        data: { [KUBECONFIG_SECRET_KEY]: Buffer.from(flatKubeconfig).toString('base64') },
      },
    });
    expect(
      kubectlB(
        ['create', '-n', farNs, '-f', '-'],
        worklistYaml('stray', {
          source: {
            worklist: { name: 'anything', namespace: parentNs.name, kubeconfigSecret: 'not-for-us' },
          },
          blockSize: 100,
        }),
      ).stderr,
    ).toBe('');
    const ready = await eventually('the stray secondary to say why it has no parent', async () => {
      const w = await new TeamtaskClient(kcB).worklists(farNs).get('stray');
      return w.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'ParentUnreachable');
    });
    expect(ready.status).toBe('False');
    expect(ready.message).toContain(`is not labelled ${KUBECONFIG_SECRET_LABEL}=true`);
    await new TeamtaskClient(kcB).worklists(farNs).delete('stray');
  });

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
    // The parent's status shows it, as the parent sees it.
    const status = JSON.parse(teamtask('status', 'tree', '-n', parentNs.name, '-o', 'json').stdout) as {
      secondaries?: unknown[];
    };
    expect(status.secondaries).toContainEqual(
      expect.objectContaining({ name: `${farNs}/far`, elsewhere: true, health: 'Ready' }),
    );

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

  it("kubectl teamtask create --from-worklist CONTEXT/NS/PARENT makes a credential in the parent's cluster that reaches only the parent and its own Block, and the secondary completes with it", async () => {
    const total = 2000;
    expect(
      kubectlStdin(
        worklistYaml('small', { source: range(1, total), blockSize: 100 }),
        'create',
        '-n',
        parentNs.name,
      ).stderr,
    ).toBe('');
    // One kubeconfig with both clusters, as a user has: the second one in use.
    const merged = new KubeConfig();
    merged.loadFromString(kubectl('config', 'view', '--raw', '--minify', '--flatten').stdout);
    const first = merged.getContextObject(merged.getCurrentContext())!;
    const b = new KubeConfig();
    b.loadFromString(
      // The second cluster's CA inline too: the merged file is read from elsewhere.
      spawnSync('kubectl', ['config', 'view', '--raw', '--minify', '--flatten'], {
        env: second.shellEnv(secondKubeconfig),
        encoding: 'utf8',
      }).stdout,
    );
    merged.loadFromOptions({
      clusters: [
        { ...merged.getCurrentCluster()!, name: 'first' },
        { ...b.getCurrentCluster()!, name: 'second' },
      ],
      users: [
        { ...merged.getCurrentUser()!, name: 'first' },
        { ...b.getCurrentUser()!, name: 'second' },
      ],
      contexts: [
        { ...first, name: 'first', cluster: 'first', user: 'first' },
        { name: 'second', cluster: 'second', user: 'second' },
      ],
      currentContext: 'second',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'teamtask-merged-')), 'kubeconfig');
    writeFileSync(file, merged.exportConfig());
    const created = spawnSync(
      'kubectl',
      [
        'teamtask',
        'create',
        'far2',
        '-n',
        farNs,
        '--from-worklist',
        `first/${parentNs.name}/small`,
        '--block-size',
        '50',
        '--workers',
        '0',
      ],
      { env: second.shellEnv(file), encoding: 'utf8' },
    );
    expect(created.stderr).toBe('');
    const account = secondaryAccount(farNs, 'far2');
    const reader = parentReaderRole(farNs, 'far2');
    const there = `created in context first, namespace ${parentNs.name}`;
    expect(created.stdout.split('\n').filter(Boolean)).toEqual([
      `serviceaccount/${account} ${there}`,
      `role.rbac.authorization.k8s.io/${account} ${there}`,
      `rolebinding.rbac.authorization.k8s.io/${account} ${there}`,
      `secret/${account} ${there}`,
      `serviceaccount/${reader} ${there}`,
      `role.rbac.authorization.k8s.io/${reader} ${there}`,
      `rolebinding.rbac.authorization.k8s.io/${reader} ${there}`,
      `secret/${reader} ${there}`,
      'worklist.teamtask.dev/far2 created',
      'secret/far2-parent created',
      'secret/far2-parent-items created',
    ]);
    const runs = new RunCounts(total);
    const items = new Map<number, string>();
    for (const k of [0, 1])
      workers.push(
        new InProcessWorker(
          farNs,
          'far2',
          `far2-${k}`,
          async (item, offset) => {
            items.set(offset, item);
            return runs.execute()(item, offset);
          },
          { kc: kcB },
        ),
      );
    const done = await complete('the parent', () => readWorklist(parentNs.name, 'small'));
    expect(done.status).toMatchObject({ completedItems: total, failedItems: 0 });
    expect(runs.notOnce()).toEqual([]);
    // The parent's items, read through the Secret's credential.
    expect([...items].filter(([offset, item]) => item !== String(offset + 1)).slice(0, 5)).toEqual([]);
    await complete('the secondary', () => new TeamtaskClient(kcB).worklists(farNs).get('far2'), 120_000);

    // The credential reaches the parent and its own Block, nothing else.
    const secret = await kcB
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'far2-parent', namespace: farNs });
    const asSecondary = new KubeConfig();
    asSecondary.loadFromString(Buffer.from(secret.data![KUBECONFIG_SECRET_KEY]!, 'base64').toString('utf8'));
    const blocks = new TeamtaskClient(asSecondary).blocks(parentNs.name);
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'allowed';
      } catch (err) {
        return explain(err).message;
      }
    };
    const blockOf = (name: string, worklist: string): Block => ({
      apiVersion: API_VERSION,
      kind: 'Block',
      metadata: { name },
      spec: { worklist, worker: 'intruder' },
    });
    expect(await refusal(blocks.create(blockOf('other', 'small'), { dryRun: true }))).toContain(
      `the secondary ${upstreamBlockName(farNs, 'far2')} may only touch its own Block`,
    );
    expect(
      await refusal(blocks.create(blockOf(upstreamBlockName(farNs, 'far2'), 'tree'), { dryRun: true })),
    ).toContain('may only name a Worklist it may read (its parent), not tree');
    expect(await refusal(new TeamtaskClient(asSecondary).worklists(parentNs.name).list())).toMatch(
      /^forbidden/,
    );
    expect(await refusal(new TeamtaskClient(asSecondary).worklists(parentNs.name).get('tree'))).toMatch(
      /^forbidden/,
    );

    // The workers' credential (the items Secret) reads the parent, and writes nothing.
    const itemsSecret = await kcB
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'far2-parent-items', namespace: farNs });
    const asWorker = new KubeConfig();
    asWorker.loadFromString(
      Buffer.from(itemsSecret.data![KUBECONFIG_SECRET_KEY]!, 'base64').toString('utf8'),
    );
    expect(await refusal(new TeamtaskClient(asWorker).worklists(parentNs.name).get('small'))).toBe('allowed');
    expect(
      await refusal(
        new TeamtaskClient(asWorker)
          .blocks(parentNs.name)
          .create(blockOf(upstreamBlockName(farNs, 'far2'), 'small'), { dryRun: true }),
      ),
    ).toMatch(/^forbidden/);
    expect(
      await refusal(new TeamtaskClient(asWorker).blocks(parentNs.name).get(upstreamBlockName(farNs, 'far2'))),
    ).toMatch(/^forbidden/);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
