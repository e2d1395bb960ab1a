/**
 * Shell completion for `kubectl teamtask`, the way kubectl asks a plugin (kubectl ≥ 1.26 runs
 * `kubectl_complete-teamtask ARGS… PARTIAL` and reads cobra's `__complete` format: one
 * candidate per line, then `:DIRECTIVE`). Pure: the caller passes what to look names up with.
 */
export interface CommandShape {
  id: string;
  /** Flag names (long, without dashes) and the chars of their short forms. */
  flags: { name: string; char?: string; takesValue: boolean; options?: readonly string[] }[];
  /** What each positional argument names. */
  positional: readonly ('resource' | 'worklist' | 'name' | 'describable' | 'none')[];
}

export interface Lookup {
  worklists: (namespace?: string) => Promise<string[]>;
  blocks: (namespace?: string) => Promise<string[]>;
  namespaces: () => Promise<string[]>;
  contexts: () => string[];
}

/** cobra's ShellCompDirectiveNoFileComp: no file names as a fallback. */
const NO_FILES = 4;

export const RESOURCE_WORDS = ['lists', 'worklists', 'wl', 'blocks'];

export async function complete(
  words: readonly string[],
  commands: readonly CommandShape[],
  look: Lookup,
): Promise<string> {
  const partial = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const done = (candidates: string[]) =>
    `${[...new Set(candidates)].filter((c) => c.startsWith(partial)).join('\n')}${candidates.length ? '\n' : ''}:${NO_FILES}\n`;

  // A command's id is its words joined by ':' (oclif's topics: `token create` is token:create).
  const idWords = (c: CommandShape) => c.id.split(':');
  const named = (c: CommandShape, n: number) =>
    idWords(c)
      .slice(0, n)
      .every((w, i) => before[i] === w);
  const deeper = commands.filter((c) => idWords(c).length > before.length && named(c, before.length));
  if (deeper.length > 0) return done(deeper.map((c) => idWords(c)[before.length]!));
  const command = commands.find((c) => idWords(c).length <= before.length && named(c, idWords(c).length));
  if (!command) return done([]);
  const used = idWords(command).length;
  const flag = (word: string) =>
    command.flags.find((f) => word === `--${f.name}` || (f.char !== undefined && word === `-${f.char}`));
  const namespace = valueOf(before, '-n', '--namespace');

  // The value of a flag.
  const last = before.at(-1);
  const pending = last !== undefined && last.startsWith('-') ? flag(last) : undefined;
  if (pending?.takesValue) {
    if (pending.name === 'namespace') return done(await look.namespaces().catch(() => []));
    if (pending.name === 'context') return done(look.contexts());
    if (pending.name === 'list') return done(await look.worklists(namespace).catch(() => []));
    return done([...(pending.options ?? [])]);
  }
  if (partial.startsWith('-')) {
    return done(command.flags.flatMap((f) => [`--${f.name}`]));
  }

  // Which positional argument this is: the words after the command that are not flags or their values.
  const positionals: string[] = [];
  for (let i = used; i < before.length; i++) {
    const f = before[i]!.startsWith('-') ? flag(before[i]!) : undefined;
    if (before[i] === '--') return done([]); // the user's command line: nothing to say
    if (f?.takesValue && !before[i]!.includes('=')) i++;
    else if (!before[i]!.startsWith('-')) positionals.push(before[i]!);
  }
  const kind = command.positional[positionals.length];
  switch (kind) {
    case 'resource':
      return done(RESOURCE_WORDS);
    case 'describable':
      return done(['list', 'worklist', 'wl']);
    case 'worklist':
      return done(await look.worklists(namespace).catch(() => []));
    case 'name': {
      const resource = positionals[0] ?? '';
      const names = resource.startsWith('block') ? look.blocks(namespace) : look.worklists(namespace);
      return done(await names.catch(() => []));
    }
    default:
      return done([]);
  }
}

function valueOf(words: readonly string[], short: string, long: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    if ((words[i] === short || words[i] === long) && i + 1 < words.length) return words[i + 1];
    if (words[i]!.startsWith(`${long}=`)) return words[i]!.slice(long.length + 1);
  }
  return undefined;
}
