import type { V1Deployment, V1Lease, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { HintedError } from '../kube/errors.js';

/** What install saw of the controller in one look. */
export interface ControllerView {
  deployment: V1Deployment;
  /** The pods of the Deployment's current ReplicaSet (currentPods). */
  pods: V1Pod[];
  /** The leader-election Lease, if any replica ever took it. */
  lease?: V1Lease;
}

/** Ready; or still waiting, and why; or a state no waiting will fix. */
export type Readiness =
  { ready: true } | { ready: false; waiting: string } | { ready: false; failed: HintedError };

/**
 * Container states that do not fix themselves: the kubelet backs off pulling an image it could not
 * get (or was told never to pull), or restarting a container that keeps exiting.
 */
const STUCK = new Set([
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'RunContainerError',
]);
/** A container that lost its Lease exits on purpose, once: a crash loop is more restarts than that. */
const CRASH_LOOP_RESTARTS = 3;
const IMAGE_REASONS = new Set(['ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

/**
 * The controller is ready when its Deployment has rolled out (rolloutReadiness) and one of its
 * pods holds the leader-election Lease (only the leader works).
 */
export function controllerReadiness(v: ControllerView): Readiness {
  const rollout = rolloutReadiness(v, 'controller');
  if (!rollout.ready) return rollout;
  const holder = v.lease?.spec?.holderIdentity;
  const podNames = new Set(v.pods.map((p) => p.metadata?.name));
  // Identities are `<hostname>_<random>`, and a pod's hostname is its name. (No renewTime check:
  // it is the leader's clock, not this machine's; a replica that stops leading releases the Lease.)
  if (!holder || !podNames.has(holder.replace(/_[^_]*$/, ''))) {
    return {
      ready: false,
      waiting: holder
        ? `the controller Lease is held by ${holder}, not by a replica of the Deployment`
        : 'no controller replica leads yet',
    };
  }
  return { ready: true };
}

/**
 * A Deployment of Teamtask's (the controller's, the gateway's) has rolled out: every replica runs
 * the template just applied, and is available, as `kubectl rollout status` says. A pod stuck
 * pulling its image or crash-looping fails the wait at once, naming the pod, its reason, and what
 * to do.
 */
export function rolloutReadiness(v: Omit<ControllerView, 'lease'>, component: string): Readiness {
  const d = v.deployment;
  // Until the Deployment controller has seen the template just applied, its pods are the old ones.
  if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
    return { ready: false, waiting: 'the Deployment controller has not seen the new template yet' };
  }
  for (const pod of v.pods) {
    const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    for (const c of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const reason = c.state?.waiting?.reason;
      if (!reason || !STUCK.has(reason)) continue;
      if (reason === 'CrashLoopBackOff' && c.restartCount < CRASH_LOOP_RESTARTS) continue;
      const message = oneLine(c.state?.waiting?.message ?? '');
      const last = c.lastState?.terminated;
      const detail =
        message || (last ? `last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '');
      return {
        ready: false,
        failed: new HintedError(
          `${component} pod ${name} cannot start: ${reason}${detail ? `: ${detail}` : ''}`,
          IMAGE_REASONS.has(reason)
            ? `the nodes cannot get the image ${c.image}: publish it where they can pull it, or load it into them (kind: kind load image-archive teamtask-vVERSION-linux-ARCH.docker.tar, see docs/image.md), or pass --image`
            : `see why: kubectl logs -n ${pod.metadata?.namespace} ${pod.metadata?.name} --previous`,
        ),
      };
    }
  }
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const rolledOut =
    (st.updatedReplicas ?? 0) >= want &&
    (st.replicas ?? 0) <= (st.updatedReplicas ?? 0) &&
    (st.availableReplicas ?? 0) >= (st.updatedReplicas ?? 0);
  if (!rolledOut || want < 1) {
    const why = st.conditions?.map((c) => `${c.type}=${c.status}: ${c.message}`).join('; ');
    return {
      ready: false,
      waiting: `the ${component} Deployment has ${st.updatedReplicas ?? 0} of ${want} replicas updated and ${st.availableReplicas ?? 0} available${why ? ` (${why})` : ''}`,
    };
  }
  return { ready: true };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The pods of the template just applied: those of the ReplicaSet whose revision is the
 * Deployment's (as kubectl finds it). A pod of an older template being scaled down, stuck or not,
 * says nothing about this install.
 */
export function currentPods(deployment: V1Deployment, replicaSets: V1ReplicaSet[], pods: V1Pod[]): V1Pod[] {
  const revision = deployment.metadata?.annotations?.[REVISION];
  const current = replicaSets.find(
    (rs) =>
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.metadata?.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid),
  );
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  return hash ? pods.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash) : [];
}
