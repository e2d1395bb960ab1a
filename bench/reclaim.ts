import { CoreV1Api } from '@kubernetes/client-node';
import { eventually, kubectlStdin } from '../test/support/kube.js';
import { onKwokNode, range, worklistYaml } from '../test/support/objects.js';
import { InProcessWorker } from '../test/support/workers.js';
import { ledgerOf } from '../src/ledger/ledger.js';
import { readWorklist } from '../test/support/read.js';
import { deleteWorklist, round, sleep, type BenchContext } from './context.js';

/** The controller counts a worker pod missing from its cache as dead only past this Block age. */
const MISSING_POD_GRACE_MS = 10_000;

/**
 * Reclaim time: a worker in a (kwok) pod holds a range and hangs; the pod is deleted; how long
 * until the ledger hands that range to another worker, counted from the moment the API server
 * confirmed the pod gone. Another worker waits, idle, for it.
 */
export async function measureReclaim(ctx: BenchContext, name: string): Promise<number> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const pod = `${name}-pod`;
  await core.createNamespacedPod({
    namespace: ctx.namespace,
    body: {
      // The label is what makes the controller watch the pod (as create's Job template sets it).
      metadata: { name: pod, labels: { 'teamtask.dev/worklist': name } },
      spec: { ...onKwokNode, containers: [{ name: 'work', image: 'bench:none' }] },
    },
  });
  await eventually('the worker pod to run', async () =>
    (await core.readNamespacedPodStatus({ name: pod, namespace: ctx.namespace })).status?.phase === 'Running'
      ? true
      : undefined,
  );
  const created = kubectlStdin(
    worklistYaml(name, { source: range(1, 30), blockSize: 10 }),
    'create',
    '-n',
    ctx.namespace,
  );
  if (created.status !== 0) throw new Error(`creating Worklist ${name}: ${created.stderr}`);

  let unhang!: () => void;
  const hung = new Promise<void>((r) => (unhang = r));
  const victim = new InProcessWorker(ctx.namespace, name, pod, () => hung.then(() => false), { pod });
  const ledger = await eventually('the hung worker to hold a range', async () => {
    const l = ledgerOf(await readWorklist(ctx.namespace, name));
    return l.assignments.has(pod) ? l : undefined;
  });
  const held = ledger.assignments.get(pod)!;
  // Alone at first, it also holds the range it would start next: that waits for the reclaim too.
  const heldItems = held.size + (ledger.next.get(pod)?.size ?? 0);
  const bornAt = Date.now();
  const successor = new InProcessWorker(ctx.namespace, name, `${name}-successor`, async () => true);
  await eventually('the other worker to finish the other ranges', async () =>
    (await readWorklist(ctx.namespace, name)).status?.completedItems === 30 - heldItems ? true : undefined,
  );
  // Past the grace, so what is timed is the controller's reaction, not the grace.
  await sleep(Math.max(0, bornAt + MISSING_POD_GRACE_MS + 500 - Date.now()));

  await core.deleteNamespacedPod({ name: pod, namespace: ctx.namespace, gracePeriodSeconds: 0 });
  await eventually(
    'the worker pod to be gone',
    async () => {
      try {
        await core.readNamespacedPod({ name: pod, namespace: ctx.namespace });
        return undefined;
      } catch {
        return true;
      }
    },
    60_000,
    5,
  );
  const goneAt = performance.now();
  await eventually(
    'the range to go to the other worker',
    async () =>
      [...ledgerOf(await readWorklist(ctx.namespace, name)).assignments.values()].find(
        (a) => a.index === held.index && a.block !== pod,
      ),
    60_000,
    10,
  );
  const seconds = (performance.now() - goneAt) / 1000;
  unhang();
  // The victim's Block was taken away under it: how its worker ends does not matter here.
  await Promise.all([victim.stop().catch(() => undefined), successor.finished]);
  await deleteWorklist(ctx, name);
  return round(seconds, 3);
}
