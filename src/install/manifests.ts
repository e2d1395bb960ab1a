import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { CRD_DIR, CRD_FILES } from '../api/v1alpha1/crds.js';
import { DEFAULT_IMAGE } from '../api/image.js';
import { CONTROLLER_NAME, GATEWAY_NAME } from '../api/names.js';
import { modelsFromYaml } from '../kube/wire.js';

export const MANIFEST_DIR = join(CRD_DIR, '..', 'manifests');

/** Apply order: what later objects refer to comes first (CRDs, the namespace, RBAC, then workloads). */
const MANIFEST_FILES = [
  'namespace.yaml',
  'controller-rbac.yaml',
  'user-rbac.yaml',
  'admission-policy.yaml',
  'controller-deployment.yaml',
];

export interface InstallOptions {
  /** The image of the controller (and the gateway); DEFAULT_IMAGE when absent. */
  image?: string;
  /** The gateway too (docs/gateway.md): its Deployment, Service and RBAC. */
  gateway?: boolean;
}

/**
 * The gateway's objects, applied after the controller's with `install --gateway`: in a folder of
 * their own, so that `kubectl apply -f manifests/` installs without it.
 */
const GATEWAY_FILE = join('gateway', 'gateway.yaml');

function readObjects(path: string): KubernetesObject[] {
  return modelsFromYaml(readFileSync(path, 'utf8'));
}

/** Everything `kubectl teamtask install` applies, in apply order, as client-node models (see kube/wire.ts). */
export function installObjects(options: InstallOptions = {}): KubernetesObject[] {
  const objects = [
    ...Object.values(CRD_FILES).flatMap((f) => readObjects(join(CRD_DIR, f))),
    ...[...MANIFEST_FILES, ...(options.gateway ? [GATEWAY_FILE] : [])].flatMap((f) =>
      readObjects(join(MANIFEST_DIR, f)),
    ),
  ];
  for (const o of objects) {
    if (o.kind !== 'Deployment' || ![CONTROLLER_NAME, GATEWAY_NAME].includes(o.metadata?.name ?? ''))
      continue;
    for (const c of (o as V1Deployment).spec?.template.spec?.containers ?? [])
      c.image = options.image ?? DEFAULT_IMAGE;
  }
  return objects;
}
