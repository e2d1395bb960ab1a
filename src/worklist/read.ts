import type { KubeConfig } from '@kubernetes/client-node';
import type { Block, Worklist } from '../api/v1alpha1/index.js';
import { TeamtaskClient, worklistNotFound } from '../kube/teamtask-client.js';

/** A Worklist, or the error every command gives for a name that is not there. */
export async function readWorklist(kc: KubeConfig, namespace: string, name: string): Promise<Worklist> {
  try {
    return await new TeamtaskClient(kc).worklists(namespace).get(name);
  } catch (err) {
    throw worklistNotFound(err, namespace, name);
  }
}

/** The Blocks of one Worklist (selected on the server by the field spec.worklist). */
export function blocksOf(kc: KubeConfig, namespace: string, worklist: string): Promise<Block[]> {
  return new TeamtaskClient(kc).blocks(namespace).list({ fieldSelector: `spec.worklist=${worklist}` });
}
