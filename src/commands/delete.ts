import { Args } from '@oclif/core';
import { RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parentReaderRole, SECONDARY_ANNOTATION, secondaryAccount } from '../api/names.js';
import type { Worklist } from '../api/v1alpha1/index.js';
import { BaseCommand } from '../cli/base-command.js';
import { isApiError } from '../kube/errors.js';
import { TeamtaskClient } from '../kube/teamtask-client.js';
import { worklistRef } from '../printers/ref.js';

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete a Worklist and everything create made for it.';
  static override description =
    "Deletes the Worklist; the garbage collector removes what it owns (its Job and worker pods, ServiceAccount, Role, RoleBinding, items ConfigMap, kubeconfig Secrets). A secondary's Role and RoleBinding beside its parent (owned by the parent: an owner must be in the same namespace) are deleted too; for a parent in another cluster, it says what stays there.";
  static override examples = ['kubectl teamtask delete primes'];
  static override args = { name: Args.string({ required: true, description: 'the Worklist name' }) };

  public async run(): Promise<string[]> {
    const { kc, namespace } = this.kube;
    const worklists = new TeamtaskClient(kc).worklists(namespace);
    const w = await worklists.get(this.args.name);
    // In the background (a custom resource's default, as kubectl's): what it owns goes after it.
    await worklists.delete(this.args.name);
    const lines = [`${worklistRef(this.args.name)} deleted`, ...(await besideParent(kc, w))];
    for (const line of lines) this.log(line);
    return lines;
  }
}

/**
 * What `create --from-worklist` made beside the parent for this secondary: in the same cluster,
 * the Role and RoleBinding that let its workers read the parent, deleted here (only those made
 * for this one: their annotation names it); in another cluster, its identities there, which
 * this kubeconfig cannot reach: said, with the command.
 */
async function besideParent(kc: KubeConfig, w: Worklist): Promise<string[]> {
  const parent = w.spec.source.worklist;
  if (!parent) return [];
  const { namespace, name } = w.metadata as { namespace: string; name: string };
  const parentNs = parent.namespace ?? namespace;
  if (parent.kubeconfigSecret) {
    const names = [secondaryAccount(namespace, name), parentReaderRole(namespace, name)].join(' ');
    return [
      `its identities in the parent's cluster stay (owned by worklist ${parentNs}/${parent.name} there); delete them there with: kubectl delete serviceaccount,role,rolebinding,secret ${names} -n ${parentNs}`,
    ];
  }
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const reader = parentReaderRole(namespace, name);
  const ours = (o: { metadata?: { annotations?: Record<string, string> } }) =>
    o.metadata?.annotations?.[SECONDARY_ANNOTATION] === `${namespace}/${name}`;
  const kinds = [
    {
      ref: `rolebinding.rbac.authorization.k8s.io/${reader}`,
      read: () => rbac.readNamespacedRoleBinding({ name: reader, namespace: parentNs }),
      remove: () => rbac.deleteNamespacedRoleBinding({ name: reader, namespace: parentNs }),
    },
    {
      ref: `role.rbac.authorization.k8s.io/${reader}`,
      read: () => rbac.readNamespacedRole({ name: reader, namespace: parentNs }),
      remove: () => rbac.deleteNamespacedRole({ name: reader, namespace: parentNs }),
    },
  ];
  const lines: string[] = [];
  for (const k of kinds) {
    try {
      if (!ours(await k.read())) continue;
      await k.remove();
      lines.push(`${k.ref} deleted in namespace ${parentNs}`);
    } catch (err) {
      if (isApiError(err, 404)) continue;
      if (!isApiError(err, 403)) throw err;
      lines.push(
        `${k.ref} in namespace ${parentNs} stays (forbidden to you there); delete it with: kubectl delete ${k.ref} -n ${parentNs}`,
      );
    }
  }
  return lines;
}
