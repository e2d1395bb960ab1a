/** A command's arguments with `{}` replaced by the item and `{#}` by its offset, as GNU parallel does. */
export function substitute(args: readonly string[], item: string, offset: number): string[] {
  const hasPlaceholder = args.some((a) => a.includes('{}'));
  const replaced = args.map((a) => a.replaceAll('{#}', String(offset)).replaceAll('{}', item));
  // Like parallel and xargs: with no {} at all, the item is the last argument.
  return hasPlaceholder ? replaced : [...replaced, item];
}
