import type { CoreV1Api } from '@kubernetes/client-node';
import {
  GATEWAY_NAME,
  GATEWAY_TLS_SECRET,
  PART_OF_LABEL,
  PART_OF_VALUE,
  SYSTEM_NAMESPACE,
} from '../api/names.js';
import { isApiError } from '../kube/errors.js';

/** The names the gateway's Service answers to in the cluster, for its certificate. */
export function gatewayHosts(clusterIP: string | undefined, extra: readonly string[]): string[] {
  const svc = `${GATEWAY_NAME}.${SYSTEM_NAMESPACE}`;
  const ip = clusterIP && clusterIP !== 'None' ? [clusterIP] : [];
  return [...new Set([GATEWAY_NAME, svc, `${svc}.svc`, `${svc}.svc.cluster.local`, ...ip, ...extra])];
}

/**
 * The gateway's serving certificate: the Secret as it is when it exists (bring your own, e.g. from
 * cert-manager, under this name), else a self-signed one made by `make` for the Service's names
 * and ClusterIP and the names given. Its `ca.crt` is what clients trust.
 */
export async function ensureGatewayTls(
  core: CoreV1Api,
  extraHosts: readonly string[],
  make: (hosts: string[]) => { cert: string; key: string },
): Promise<'created' | 'present'> {
  const namespace = SYSTEM_NAMESPACE;
  try {
    await core.readNamespacedSecret({ name: GATEWAY_TLS_SECRET, namespace });
    return 'present';
  } catch (err) {
    if (!isApiError(err, 404)) throw err;
  }
  const service = await core.readNamespacedService({ name: GATEWAY_NAME, namespace });
  const { cert, key } = make(gatewayHosts(service.spec?.clusterIP, extraHosts));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: GATEWAY_TLS_SECRET, labels: { [PART_OF_LABEL]: PART_OF_VALUE } },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64(cert), 'tls.key': b64(key), 'ca.crt': b64(cert) },
      },
    });
  } catch (err) {
    // Another install made it at the same moment: theirs serves.
    if (isApiError(err, 409)) return 'present';
    throw err;
  }
  return 'created';
}
