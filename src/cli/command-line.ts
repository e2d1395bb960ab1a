/**
 * The user's command line of `work` and `create` (`… -- CMD ARGS`): the words after the first
 * `--`, as given. oclif's own list of positional arguments is not that: it reorders words when a
 * flag's value equals one of them (`--jobs 1 -- sleep 1` came out as `1 sleep`). Without `--`,
 * the positional arguments after the command's own first one.
 */
export function commandLine(raw: readonly string[], positional: readonly string[]): string[] {
  const dashes = raw.indexOf('--');
  return dashes >= 0 ? raw.slice(dashes + 1) : positional.slice(1);
}
