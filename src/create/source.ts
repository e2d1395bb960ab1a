import type { WorklistSpec } from '../api/v1alpha1/index.js';
import { DEFAULT_ITEMS_KEY, itemsConfigMap } from '../api/names.js';
import { HintedError } from '../kube/errors.js';

/** create's source flags; exactly one is given (oclif checks). */
export interface SourceFlags {
  range?: string;
  items?: string;
  'from-file'?: string;
  'from-configmap'?: string;
  'from-worklist'?: string;
}

/** A parent Worklist as `--from-worklist` names it: `[CONTEXT/]NAMESPACE/NAME`, or `NAME` in the namespace given. */
export interface ParentRef {
  /** A kubeconfig context: the parent's cluster, when it is not the one in use. */
  context?: string;
  namespace: string;
  name: string;
}

/**
 * `--from-worklist [CONTEXT/]NAMESPACE/NAME`, read from the right: a context's name may hold
 * slashes (an EKS ARN does), a namespace's and a Worklist's cannot.
 */
export function parseParentRef(text: string, namespace: string): ParentRef {
  const parts = text.split('/');
  const name = parts.pop()!;
  const ns = parts.pop();
  const context = parts.length ? parts.join('/') : undefined;
  if (!name || ns === '' || context === '')
    throw new HintedError(
      `--from-worklist "${text}" is not [CONTEXT/]NAMESPACE/NAME`,
      'name the parent Worklist, e.g. --from-worklist team-a/top, or --from-worklist other-cluster/team-a/top',
    );
  return { ...(context ? { context } : {}), namespace: ns ?? namespace, name };
}

/**
 * The Worklist's source from the one source flag given; refuses malformed input plainly. A
 * --from-file source is the ConfigMap create makes for the file's lines (itemsConfigMap of the
 * Worklist's name, key items), so it needs the Worklist's name.
 */
export function parseSource(f: SourceFlags, worklist: string): WorklistSpec['source'] {
  if (f.range !== undefined) {
    const m = /^\s*(-?\d+)\s*-\s*(-?\d+)\s*$/.exec(f.range);
    if (!m)
      throw new HintedError(
        `--range "${f.range}" is not A-B`,
        'give the first and last item, e.g. --range 1-1000000',
      );
    return { range: { start: Number(m[1]), end: Number(m[2]) } };
  }
  if (f.items !== undefined) {
    if (f.items.trim() === '')
      throw new HintedError('--items is empty', 'give the items comma-separated, e.g. --items a,b,c');
    const inline = f.items.split(',').map((s) => s.trim());
    const empty = inline.indexOf('');
    if (empty >= 0)
      throw new HintedError(
        `--items: item ${empty + 1} is empty`,
        'remove the extra comma (an item cannot be empty), e.g. --items a,b,c',
      );
    // --per-block hands the items to the command one per line: a line break would split one.
    const broken = inline.find((item) => /[\r\n]/.test(item));
    if (broken !== undefined)
      throw new HintedError(
        `--items: item ${JSON.stringify(broken)} holds a line break`,
        'an item is one line; put each on its own line in a file and use --from-file',
      );
    return { inline };
  }
  if (f['from-configmap'] !== undefined) {
    const [name, key] = f['from-configmap'].split('/');
    return { configMap: { name: name!, ...(key ? { key } : {}) } };
  }
  if (f['from-worklist'] !== undefined) {
    const { namespace, name } = parseParentRef(f['from-worklist'], '');
    return { worklist: { name, ...(namespace ? { namespace } : {}) } };
  }
  if (f['from-file'] !== undefined) {
    return { configMap: { name: itemsConfigMap(worklist), key: DEFAULT_ITEMS_KEY } };
  }
  throw new HintedError(
    'no item source given',
    'give one of --range, --items, --from-file, --from-configmap, --from-worklist',
  );
}
