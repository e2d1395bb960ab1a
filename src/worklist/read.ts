import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  BLOCK_PLURAL,
  GROUP,
  VERSION,
  WORKLIST_PLURAL,
  type Block,
  type Worklist,
} from '../api/v1alpha1/index.js';
import { HintedError, isApiError } from '../kube/errors.js';

/** A Worklist, or the error every command gives for a name that is not there. */
export async function readWorklist(kc: KubeConfig, namespace: string, name: string): Promise<Worklist> {
  try {
    return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: WORKLIST_PLURAL,
      namespace,
      name,
    })) as Worklist;
  } catch (err) {
    throw notFound(err, namespace, name);
  }
}

/** The Blocks of one Worklist (selected on the server by the field spec.worklist). */
export async function blocksOf(kc: KubeConfig, namespace: string, worklist: string): Promise<Block[]> {
  const list = await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: BLOCK_PLURAL,
    namespace,
    fieldSelector: `spec.worklist=${worklist}`,
  });
  return (list as { items: Block[] }).items;
}

/** A 404 for a Worklist as one line and a hint; any other error as it is. */
export function notFound(err: unknown, namespace: string, name: string): unknown {
  if (isApiError(err, 404)) {
    return new HintedError(
      `worklist "${name}" not found in namespace ${namespace}`,
      'check the name (kubectl get worklists) and -n',
    );
  }
  return err;
}
