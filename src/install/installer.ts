import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1CustomResourceDefinition,
  type V1Deployment,
  type V1Lease,
  type V1Pod,
} from '@kubernetes/client-node';
import { API_VERSION, BLOCK_PLURAL, WORKLIST_PLURAL, type Worklist } from '../api/v1alpha1/index.js';
import { explain, HintedError, isApiError, isTransient } from '../kube/errors.js';
import {
  CONTROLLER_NAME,
  GATEWAY_NAME,
  LIMITS_CONFIGMAP,
  POLICY_NAME,
  SYSTEM_NAMESPACE,
} from '../api/names.js';
import { maxBlocksPerWorklist } from '../api/source.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { objectRef } from '../printers/ref.js';
import { controllerReadiness, currentPods, rolloutReadiness, type Readiness } from './readiness.js';

export const FIELD_MANAGER = 'teamtask';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** An install or uninstall that could not finish, with what to do about it. */
export class InstallError extends HintedError {}

/** Applies and removes Teamtask's objects. Every write is server-side apply under one field manager. */
export class Installer {
  private readonly objects: KubernetesObjectApi;

  constructor(
    private readonly kc: KubeConfig,
    private readonly clock: Clock = realClock,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
  }

  /** Server-side applies each object in order. */
  async apply(objects: KubernetesObject[]): Promise<KubernetesObject[]> {
    const applied: KubernetesObject[] = [];
    for (const o of objects) {
      applied.push(
        await this.objects.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
      );
    }
    return applied;
  }

  /**
   * Waits until every CRD among `objects` is Established, the admission policy is enforced and a
   * replica of the controller leads; fails at once when a controller pod cannot start.
   */
  async waitReady(objects: KubernetesObject[], timeoutMs: number): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
      await this.until(deadline, async () => {
        const live = (await this.objects.read(crd as never)) as V1CustomResourceDefinition;
        const established = live.status?.conditions?.find((c) => c.type === 'Established');
        return established?.status === 'True'
          ? undefined
          : `CRD ${crd.metadata!.name} is not Established: ${established?.message ?? 'no condition yet'}`;
      });
    }
    await this.waitPolicyEnforced(objects, deadline);
    if (!objects.some((o) => o.kind === 'Deployment')) return;
    const leases = this.kc.makeApiClient(CoordinationV1Api);
    await this.waitRollout(CONTROLLER_NAME, deadline, async (view) => {
      let lease: V1Lease | undefined;
      try {
        lease = await leases.readNamespacedLease({ name: CONTROLLER_NAME, namespace: SYSTEM_NAMESPACE });
      } catch (err) {
        if (!isApiError(err, 404)) throw err;
      }
      return controllerReadiness({ ...view, lease });
    });
    if (objects.some((o) => o.kind === 'Deployment' && o.metadata?.name === GATEWAY_NAME)) {
      await this.waitRollout(GATEWAY_NAME, deadline, async (view) => rolloutReadiness(view, 'gateway'));
    }
  }

  /** Waits until `judge` finds the Deployment `name` of the system namespace ready (or failed for good). */
  private async waitRollout(
    name: string,
    deadline: number,
    judge: (view: { deployment: V1Deployment; pods: V1Pod[] }) => Promise<Readiness>,
  ): Promise<void> {
    const apps = this.kc.makeApiClient(AppsV1Api);
    const core = this.kc.makeApiClient(CoreV1Api);
    await this.until(deadline, async () => {
      const namespace = SYSTEM_NAMESPACE;
      const deployment = await apps.readNamespacedDeployment({ name, namespace });
      const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const [replicaSets, allPods] = await Promise.all([
        apps.listNamespacedReplicaSet({ namespace, labelSelector: selector }),
        core.listNamespacedPod({ namespace, labelSelector: selector }),
      ]);
      const readiness = await judge({
        deployment,
        pods: currentPods(deployment, replicaSets.items, allPods.items),
      });
      if ('failed' in readiness) throw readiness.failed;
      return readiness.ready ? undefined : readiness.waiting;
    });
  }

  /**
   * An admission policy takes effect some time after it is created. The proof that it does: the
   * API server refuses (in a dry run) a Worklist one block over the limit.
   */
  private async waitPolicyEnforced(objects: KubernetesObject[], deadline: number): Promise<void> {
    const limits = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === LIMITS_CONFIGMAP) as
      V1ConfigMap | undefined;
    const max = maxBlocksPerWorklist(limits?.data);
    if (max === undefined) return;
    const worklists = new TeamtaskClient(this.kc).worklists(SYSTEM_NAMESPACE);
    const probe: Worklist = {
      apiVersion: API_VERSION,
      kind: 'Worklist',
      metadata: { name: 'teamtask-install-probe' },
      spec: { source: { range: { start: 0, end: max } }, blockSize: 1 },
    };
    await this.until(deadline, async () => {
      try {
        await worklists.create(probe, { dryRun: true });
        return 'the admission policy teamtask-worklist-limits is not enforced yet';
      } catch (err) {
        if (err instanceof ApiException && String(err.body).includes(POLICY_NAME)) return undefined;
        throw err;
      }
    });
  }

  /** Worklists of every namespace, as `namespace/name`; none when the CRD is not installed. */
  async existingWorklists(): Promise<string[]> {
    const worklists = await this.listAll(WORKLIST_PLURAL);
    return worklists.map((l) => `${l.metadata.namespace}/${l.metadata.name}`);
  }

  /** Every object of a Teamtask kind in the cluster; none when its CRD is not installed. */
  private async listAll<K extends typeof WORKLIST_PLURAL | typeof BLOCK_PLURAL>(plural: K) {
    try {
      return (await new TeamtaskClient(this.kc).listAll(plural)).items;
    } catch (err) {
      if (isApiError(err, 404)) return [];
      throw err;
    }
  }

  /**
   * Deletes the objects in reverse apply order and waits until they are gone. Worklists are deleted
   * with the CRDs; with `force` that is allowed, and Blocks' finalizers (which only the now
   * removed controller would clear) are dropped so nothing hangs.
   */
  async uninstall(objects: KubernetesObject[], force: boolean, timeoutMs: number): Promise<string[]> {
    const worklists = await this.existingWorklists();
    if (worklists.length > 0 && !force) {
      throw new InstallError(
        `${worklists.length} Worklist(s) still exist: ${worklists.slice(0, 5).join(', ')}${worklists.length > 5 ? ', …' : ''}`,
        'delete them first (kubectl delete worklists --all -A), or pass --force to delete them with everything',
      );
    }
    const deleted: string[] = [];
    const reversed = [...objects].reverse();
    const crds = reversed.filter((o) => o.kind === 'CustomResourceDefinition');
    for (const o of reversed.filter((o) => o.kind !== 'CustomResourceDefinition')) {
      if (await this.deleteIfPresent(o)) deleted.push(objectRef(o));
    }
    await this.dropBlockFinalizers();
    for (const o of crds) {
      if (await this.deleteIfPresent(o)) deleted.push(objectRef(o));
    }
    const deadline = this.clock.now() + timeoutMs;
    for (const o of reversed) {
      await this.until(deadline, async () =>
        (await this.exists(o)) ? `${objectRef(o)} is still being deleted` : undefined,
      );
    }
    return deleted;
  }

  private async dropBlockFinalizers(): Promise<void> {
    const client = new TeamtaskClient(this.kc);
    const blocks = await this.listAll(BLOCK_PLURAL);
    for (const b of blocks.filter((b) => b.metadata.finalizers?.length)) {
      await client.blocks(b.metadata.namespace!).merge(b.metadata.name!, { metadata: { finalizers: null } });
    }
  }

  private async exists(o: KubernetesObject): Promise<boolean> {
    try {
      await this.objects.read(o as never);
      return true;
    } catch (err) {
      if (isApiError(err, 404)) return false;
      throw err;
    }
  }

  private async deleteIfPresent(o: KubernetesObject): Promise<boolean> {
    try {
      await this.objects.delete(o, undefined, undefined, undefined, undefined, 'Foreground');
      return true;
    } catch (err) {
      if (isApiError(err, 404)) return false;
      throw err;
    }
  }

  /**
   * Polls `pending` (undefined = done) until the deadline; then fails with its last answer.
   * Transient API errors (a CRD's storage re-initialising, throttling) count as not done yet.
   */
  private async until(deadline: number, pending: () => Promise<string | undefined>): Promise<void> {
    for (;;) {
      let why: string | undefined;
      try {
        why = await pending();
      } catch (err) {
        if (!isTransient(err)) throw err;
        why = explain(err).message;
      }
      if (why === undefined) return;
      if (this.clock.now() >= deadline) {
        throw new InstallError(
          `timed out: ${why}`,
          `see kubectl get events -n ${SYSTEM_NAMESPACE}, or raise --timeout`,
        );
      }
      await this.clock.sleep(500);
    }
  }
}
