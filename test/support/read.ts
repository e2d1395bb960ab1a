import { existsSync, readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { Block, Worklist } from '../../src/api/v1alpha1/index.js';
import { rawGet, readBody } from '../../src/kube/raw.js';
import { kubeConfig } from './kube.js';

const get = (plural: string, namespace: string, name: string) =>
  kubeConfig()
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: 'teamtask.dev', version: 'v1alpha1', plural, namespace, name });

export const readWorklist = async (namespace: string, name: string) =>
  (await get('worklists', namespace, name)) as Worklist;

export const readBlock = async (namespace: string, name: string) =>
  (await get('blocks', namespace, name)) as Block;

/** The non-empty lines of a file the test's commands append to; none when it does not exist yet. */
export const fileLines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];

export interface WorklistEvent {
  type: string;
  reason: string;
  message: string;
}

/** The Events recorded on a Worklist (what `kubectl describe worklist` lists). */
export async function worklistEvents(namespace: string, worklist: string): Promise<WorklistEvent[]> {
  const list = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Worklist,involvedObject.name=${worklist}`,
    });
  return list.items.map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '' }));
}

/**
 * kube-apiserver's `apiserver_request_total`, summed over the samples whose labels include all of
 * `labels` (e.g. `{ verb: 'WATCH', resource: 'blocks', scope: 'namespace' }`). The server counts
 * a request when it ends: a watch, when its connection closes.
 */
export async function apiserverRequests(labels: Record<string, string>): Promise<number> {
  const text = await readBody(await rawGet(kubeConfig(), '/metrics'));
  let sum = 0;
  for (const m of text.matchAll(/^apiserver_request_total\{(.*)\} (\S+)$/gm)) {
    const has = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) sum += Number(m[2]);
  }
  return sum;
}
