import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';

/** The folder of the CRD YAML shipped with the package (the API's source of truth). */
export const CRD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'crds');

export const CRD_FILES = {
  Worklist: 'teamtask.dev_worklists.yaml',
  Block: 'teamtask.dev_blocks.yaml',
} as const;

export function readCrd(kind: keyof typeof CRD_FILES): V1CustomResourceDefinition {
  return parse(readFileSync(join(CRD_DIR, CRD_FILES[kind]), 'utf8')) as V1CustomResourceDefinition;
}
