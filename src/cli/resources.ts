import { BLOCK_PLURAL, GROUP, WORKLIST_PLURAL } from '../api/v1alpha1/index.js';
import { HintedError } from '../kube/errors.js';

export interface Resource {
  kind: 'Worklist' | 'Block';
  plural: typeof WORKLIST_PLURAL | typeof BLOCK_PLURAL;
  /** kubectl's `-o name` prefix: `worklist.teamtask.dev`. */
  nameRef: string;
}

const WORKLIST: Resource = { kind: 'Worklist', plural: WORKLIST_PLURAL, nameRef: `worklist.${GROUP}` };
const BLOCK: Resource = { kind: 'Block', plural: BLOCK_PLURAL, nameRef: `block.${GROUP}` };

/** The names kubectl would take, and `list(s)` as the issue and the seed say. */
const NAMES: Record<string, Resource> = {
  worklists: WORKLIST,
  worklist: WORKLIST,
  wl: WORKLIST,
  lists: WORKLIST,
  list: WORKLIST,
  [`worklists.${GROUP}`]: WORKLIST,
  blocks: BLOCK,
  block: BLOCK,
  [`blocks.${GROUP}`]: BLOCK,
};

export function resourceNamed(name: string): Resource {
  const r = NAMES[name.toLowerCase()];
  if (!r) {
    throw new HintedError(
      `unknown resource "${name}"`,
      'use worklists (or lists, wl) or blocks, e.g. kubectl teamtask get blocks',
    );
  }
  return r;
}

export const RESOURCE_NAMES = Object.keys(NAMES);
