import { describe, expect, it } from 'vitest';
import type { V1ContainerStatus, V1Deployment, V1Lease, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { controllerReadiness, currentPods, type Readiness } from './readiness.js';

const deployment = (available: number, updated = 2, replicas = 2): V1Deployment => ({
  metadata: { generation: 3 },
  spec: { replicas: 2, selector: { matchLabels: { app: 'c' } }, template: {} },
  status: { observedGeneration: 3, replicas, updatedReplicas: updated, availableReplicas: available },
});
const pod = (name: string, status: Partial<V1ContainerStatus> = {}): V1Pod => ({
  metadata: { name, namespace: 'teamtask-system' },
  status: {
    containerStatuses: [
      {
        name: 'controller',
        image: 'ghcr.io/teamtask/teamtask:0.1.0',
        imageID: '',
        ready: false,
        restartCount: 0,
        ...status,
      },
    ],
  },
});
const lease = (holder: string): V1Lease => ({ spec: { holderIdentity: holder, leaseDurationSeconds: 15 } });
const waiting = (reason: string, message?: string) => ({ state: { waiting: { reason, message } } });

const cases: { name: string; view: Parameters<typeof controllerReadiness>[0]; want: RegExp | true }[] = [
  {
    name: 'ready when the Deployment has rolled out and one of its pods holds the Lease',
    view: { deployment: deployment(2), pods: [pod('c-1'), pod('c-2')], lease: lease('c-2_1a2b3c4d') },
    want: true,
  },
  {
    name: 'waits while no replica is available',
    view: { deployment: deployment(0), pods: [pod('c-1', waiting('ContainerCreating'))] },
    want: /^waiting: the controller Deployment has 2 of 2 replicas updated and 0 available/,
  },
  {
    name: 'waits while replicas of the previous template still run, even though they lead',
    view: {
      deployment: deployment(2, 1, 3),
      pods: [pod('c-1'), pod('c-2'), pod('c-3')],
      lease: lease('c-1_00'),
    },
    want: /^waiting: the controller Deployment has 1 of 2 replicas updated and 2 available/,
  },
  {
    name: 'waits while the Deployment controller has not seen the new template yet',
    view: {
      deployment: { ...deployment(2), metadata: { generation: 4 } },
      pods: [pod('c-1'), pod('c-2')],
      lease: lease('c-1_00'),
    },
    want: /^waiting: /,
  },
  {
    name: 'waits while no replica leads',
    view: { deployment: deployment(2), pods: [pod('c-1'), pod('c-2')] },
    want: /^waiting: no controller replica leads yet$/,
  },
  {
    name: 'waits while a process outside the Deployment (a laptop) holds the Lease',
    view: { deployment: deployment(2), pods: [pod('c-1')], lease: lease('laptop_99887766') },
    want: /^waiting: the controller Lease is held by laptop_99887766, not by a replica/,
  },
  {
    name: 'fails at once on an image the node cannot pull, saying how to load one',
    view: {
      deployment: deployment(0),
      pods: [
        pod('c-1', waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/teamtask/teamtask:0.1.0"')),
      ],
    },
    want: /^failed: controller pod teamtask-system\/c-1 cannot start: ImagePullBackOff: Back-off pulling image "ghcr.io\/teamtask\/teamtask:0.1.0" \| hint: the nodes cannot get the image ghcr.io\/teamtask\/teamtask:0.1.0: .*kind load image-archive/,
  },
  {
    name: 'fails at once on an image the node was told never to pull',
    view: {
      deployment: deployment(0),
      pods: [
        pod('c-1', waiting('ErrImageNeverPull', 'Container image is not present with pull policy of Never')),
      ],
    },
    want: /^failed: controller pod teamtask-system\/c-1 cannot start: ErrImageNeverPull: Container image is not present .*\| hint: the nodes cannot get the image/,
  },
  {
    name: 'fails at once on a crash loop, with the last exit code and where its log is',
    view: {
      deployment: deployment(0),
      pods: [
        pod('c-1', {
          ...waiting('CrashLoopBackOff'),
          restartCount: 3,
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        }),
      ],
    },
    want: /^failed: controller pod teamtask-system\/c-1 cannot start: CrashLoopBackOff: last exit code 1 \(Error\) \| hint: see why: kubectl logs -n teamtask-system c-1 --previous$/,
  },
  {
    name: 'does not fail on a restart or two (a replica that lost its Lease exits once, on purpose)',
    view: {
      deployment: deployment(1),
      pods: [pod('c-1', { ...waiting('CrashLoopBackOff'), restartCount: 1 })],
    },
    want: /^waiting: /,
  },
  {
    name: 'does not judge pods before the Deployment controller has seen the new template',
    view: {
      deployment: { ...deployment(0), metadata: { generation: 4 } },
      pods: [pod('c-1', waiting('ImagePullBackOff', 'Back-off pulling image "old"'))],
    },
    want: /^waiting: the Deployment controller has not seen the new template yet$/,
  },
  {
    name: 'does not fail on a pull that is still being tried',
    view: { deployment: deployment(0), pods: [pod('c-1', waiting('ErrImagePull', 'rpc error'))] },
    want: /^waiting: /,
  },
];

const show = (r: Readiness) =>
  r.ready
    ? true
    : 'waiting' in r
      ? `waiting: ${r.waiting}`
      : `failed: ${r.failed.message} | hint: ${r.failed.hint}`;

describe('controllerReadiness', () => {
  it.each(cases)('$name', ({ view, want }) => {
    const got = show(controllerReadiness(view));
    if (want === true) expect(got).toBe(true);
    else expect(got).toMatch(want);
  });
});

describe('currentPods', () => {
  const d: V1Deployment = {
    metadata: { uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '3' } },
    spec: { selector: {}, template: {} },
  };
  const rs = (hash: string, revision: string, owner = 'd1'): V1ReplicaSet => ({
    metadata: {
      labels: { 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': revision },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'c', uid: owner }],
    },
  });
  const p = (name: string, hash: string): V1Pod => ({
    metadata: { name, labels: { 'pod-template-hash': hash } },
  });

  it("keeps the pods of the ReplicaSet at the Deployment's revision, not an older template's", () => {
    const got = currentPods(
      d,
      [rs('old', '2'), rs('new', '3')],
      [p('a', 'old'), p('b', 'new'), p('c', 'new')],
    );
    expect(got.map((x) => x.metadata!.name)).toEqual(['b', 'c']);
  });

  it('keeps none before the Deployment controller made the ReplicaSet of its revision', () => {
    expect(currentPods(d, [rs('old', '2'), rs('other', '3', 'd2')], [p('a', 'old')])).toEqual([]);
  });
});
