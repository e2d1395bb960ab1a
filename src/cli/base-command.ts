import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { loadKube, type ResolvedKube } from '../kube/config.js';
import { explain, HintedError } from '../kube/errors.js';
import { formatOutput, type OutputFormat, type Printable } from './output.js';

export type KubeFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type KubeArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * The one place that owns the kube flags, the `-o` rendering, the signal handlers and the error
 * contract: commands return data, and every failure becomes `error: …` plus a `hint: …` on
 * stderr, exit 1 (usage errors exit 2, as oclif's parser decides).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    kubeconfig: Flags.string({
      description: 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
      helpGroup: 'KUBE',
    }),
    context: Flags.string({ description: 'the kubeconfig context to use', helpGroup: 'KUBE' }),
    namespace: Flags.string({
      char: 'n',
      description: "namespace (default: the context's namespace, else default)",
      helpGroup: 'KUBE',
    }),
    verbose: Flags.boolean({ description: 'print stack traces of errors', helpGroup: 'GLOBAL' }),
  };

  protected flags!: KubeFlags<T>;
  protected args!: KubeArgs<T>;
  /** Every positional argument, for commands that take a command line after `--` (strict = false). */
  protected positional: string[] = [];
  private resolved?: ResolvedKube;
  /** Removes the signal handlers abortOnSignals installed. */
  private readonly signalHandlersOff: (() => void)[] = [];

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof BaseCommand;
    let parsed;
    try {
      parsed = await this.parse({
        flags: this.ctor.flags,
        baseFlags: ctor.baseFlags,
        args: this.ctor.args,
        strict: this.ctor.strict,
      });
    } catch (err) {
      throw new UsageError(oneLine(err instanceof Error ? err.message : String(err)), this.id);
    }
    const { args, flags, argv } = parsed;
    this.flags = flags as KubeFlags<T>;
    this.args = args as KubeArgs<T>;
    this.positional = argv as string[];
  }

  /** The cluster the kube flags point at, loaded on first use (commands that need none never load it). */
  protected get kube(): ResolvedKube {
    this.resolved ??= loadKube({
      kubeconfig: this.flags.kubeconfig,
      context: this.flags.context,
      namespace: this.flags.namespace,
    });
    return this.resolved;
  }

  /**
   * Prints what the command shows in the `-o` format asked for (json, yaml, name, jsonpath=…,
   * wide), or its human text when there is none.
   */
  protected print(p: Printable, format: OutputFormat | undefined): void {
    const { text, newline } = formatOutput(p, format);
    if (newline) this.log(text);
    else process.stdout.write(text);
  }

  /**
   * A signal that aborts on the first SIGINT or SIGTERM (or aborts `controller`, for a command
   * that also stops for reasons of its own). Each handler goes after its signal, as with
   * `process.once`: the same signal again ends the process the default way (a second Ctrl-C
   * stops at once). Whatever is left is removed when the command ends.
   */
  protected abortOnSignals(controller = new AbortController()): AbortSignal {
    const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
      const handler = () => {
        process.off(signal, handler);
        controller.abort();
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    this.signalHandlersOff.push(...handlers);
    return controller.signal;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    for (const off of this.signalHandlersOff.splice(0)) off();
    return super.finally(err);
  }

  /** Refuses the command line: `error: …`, a hint to the help, exit 2 (kubectl's usage errors). */
  protected usage(message: string): never {
    throw new UsageError(message, this.id);
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // Explicit exits carry their own exit code and message: oclif prints them.
    if (err instanceof Errors.ExitError || err.oclif?.exit !== undefined) throw err;
    const { message, hint } = explain(err, this.resolved?.server);
    this.logToStderr(`error: ${message}`);
    if (hint) this.logToStderr(`hint: ${hint}`);
    if (this.flags?.verbose && err.stack) this.logToStderr(err.stack);
    this.exit(err instanceof UsageError ? 2 : 1);
  }
}

/** A command line that cannot run as given. */
export class UsageError extends HintedError {
  constructor(message: string, command?: string) {
    super(message, `see kubectl teamtask ${command ? `${command} ` : ''}--help`);
  }
}

/**
 * oclif's parse error as one line: without its "See more help" line, and without its note on
 * flags that take several values (it adds one to every missing-argument error, whether such a
 * flag was used or not).
 */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('See more help') && !/^Note: .* multiple values\./.test(l))
    .join(' ')
    .replace(/^Parsing (--[\w-]+) /, '$1: ');
}
