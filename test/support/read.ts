import { existsSync, readFileSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { Block, Worklist } from '../../src/api/v1alpha1/index.js';
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
