import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP } from '../api/v1alpha1/index.js';

/** kubectl's `<resource>.<group>/<name>` for an object, e.g. `deployment.apps/teamtask-controller`. */
export function objectRef(o: KubernetesObject): string {
  const group = o.apiVersion?.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind!.toLowerCase()}${group}/${o.metadata!.name}`;
}

/** A Worklist as kubectl names it: `worklist.teamtask.dev/<name>`. */
export const worklistRef = (name: string) => `worklist.${GROUP}/${name}`;
