import type {
  KubernetesObject,
  V1OwnerReference,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, type Worklist } from '../api/v1alpha1/index.js';
import {
  PART_OF_LABEL,
  PART_OF_VALUE,
  parentReaderRole,
  SECONDARY_ANNOTATION,
  secondaryAccount,
  upstreamBlockName,
  WORKLIST_LABEL,
} from '../api/names.js';

/**
 * What `kubectl teamtask create NAME --from-worklist …` makes beside the parent, in its
 * namespace: owned by the parent Worklist (an owner must be in the same namespace), so they go
 * with it. A secondary is `namespace/name`, in its own cluster.
 */
export interface Secondary {
  namespace: string;
  name: string;
}

function parentMeta(parent: Worklist, name: string, s: Secondary) {
  const owner: V1OwnerReference = {
    apiVersion: API_VERSION,
    kind: 'Worklist',
    name: parent.metadata.name!,
    uid: parent.metadata.uid ?? '',
  };
  return {
    name,
    namespace: parent.metadata.namespace!,
    labels: { [PART_OF_LABEL]: PART_OF_VALUE, [WORKLIST_LABEL]: parent.metadata.name! },
    annotations: { [SECONDARY_ANNOTATION]: `${s.namespace}/${s.name}` },
    ...(parent.metadata.uid ? { ownerReferences: [owner] } : {}),
  };
}

/** Reading the parent's items: the parent Worklist, and its item ConfigMap if it has one. */
function readRules(parent: Worklist): V1PolicyRule[] {
  const cm = parent.spec.source.configMap?.name;
  return [
    { apiGroups: [GROUP], resources: ['worklists'], resourceNames: [parent.metadata.name!], verbs: ['get'] },
    ...(cm ? [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [cm], verbs: ['get'] }] : []),
  ];
}

/**
 * A secondary in the parent's cluster: its workers (ServiceAccount `account` of the secondary's
 * namespace) may read the parent's items. A Role and RoleBinding in the parent's namespace.
 */
export function parentReaderObjects(parent: Worklist, s: Secondary, account: string): KubernetesObject[] {
  const name = parentReaderRole(s.namespace, s.name);
  const role: V1Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: parentMeta(parent, name, s),
    rules: readRules(parent),
  };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: parentMeta(parent, name, s),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: s.namespace }],
  };
  return [role, binding];
}

/**
 * A secondary in another cluster: its identity in the parent's cluster, all named
 * secondaryAccount(): a ServiceAccount; a Role that reads the parent's items and touches the one
 * Block the secondary works through (create it, get and patch it by name); the binding; a
 * long-lived token Secret, filled by the token controller (a kubeconfig in a Secret outlives any
 * requested token). The admission policy teamtask-secondary-scope pins what RBAC cannot: the
 * Block it creates is that one, and names a Worklist this identity may read (the parent). The
 * controller alone holds it.
 */
export function secondaryIdentityObjects(parent: Worklist, s: Secondary): KubernetesObject[] {
  const block = upstreamBlockName(s.namespace, s.name);
  return identityObjects(parent, s, secondaryAccount(s.namespace, s.name), [
    ...readRules(parent),
    // `create` cannot be limited to a name by RBAC: the admission policy pins it.
    { apiGroups: [GROUP], resources: ['blocks'], verbs: ['create'] },
    { apiGroups: [GROUP], resources: ['blocks'], resourceNames: [block], verbs: ['get', 'patch'] },
  ]);
}

/**
 * A secondary in another cluster: the identity its workers read the parent's items with, all
 * named parentReaderRole(): it reads the parent (and its item ConfigMap), nothing else, so that
 * a worker pod never holds the credential that writes the secondary's Block.
 */
export function parentReaderIdentityObjects(parent: Worklist, s: Secondary): KubernetesObject[] {
  return identityObjects(parent, s, parentReaderRole(s.namespace, s.name), readRules(parent));
}

/** A ServiceAccount in the parent's namespace, its Role of `rules`, the binding and a long-lived token Secret, all `name`. */
function identityObjects(
  parent: Worklist,
  s: Secondary,
  name: string,
  rules: V1PolicyRule[],
): KubernetesObject[] {
  const meta = () => parentMeta(parent, name, s);
  const account: V1ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta() };
  const role: V1Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(), rules };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: parent.metadata.namespace! }],
  };
  const token: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: {
      ...meta(),
      annotations: { ...meta().annotations, 'kubernetes.io/service-account.name': name },
    },
  };
  return [account, role, binding, token];
}

/** How a kubeconfig context reaches the parent's cluster, its CA inline: the Secret is read elsewhere. */
export interface ClusterAccess {
  server: string;
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
}

/** The kubeconfig a secondary's Secret holds: the parent's cluster, and the secondary identity's token. */
export function parentKubeconfig(cluster: ClusterAccess, token: string, namespace: string): string {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'parent',
        server: cluster.server,
        skipTLSVerify: cluster.skipTLSVerify ?? false,
        ...(cluster.caData ? { caData: cluster.caData } : {}),
        ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
      },
    ],
    users: [{ name: 'secondary', token }],
    contexts: [{ name: 'parent', cluster: 'parent', user: 'secondary', namespace }],
    currentContext: 'parent',
  });
  return kc.exportConfig();
}
