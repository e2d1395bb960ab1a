import { dumpYaml, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';

/**
 * client-node sends built-in kinds through its generated models: a plain object whose keys are
 * the API's (`x-kubernetes-int-or-string`) would lose every key the model spells otherwise
 * (`x_kubernetes_int_or_string`), silently. So YAML enters as models (loadAllYaml) and leaves
 * as the API's own form (toWire) whenever a person or another tool reads it.
 */
export function modelsFromYaml(text: string): KubernetesObject[] {
  return loadAllYaml(text).filter((o): o is KubernetesObject => o !== null && o !== undefined);
}

/** The object as the API server and kubectl spell it. */
export function toWire(o: KubernetesObject): KubernetesObject {
  return parse(dumpYaml(o)) as KubernetesObject;
}
