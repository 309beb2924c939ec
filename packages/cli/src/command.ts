import { parseArgs, type ParseArgsConfig, type ParseArgsOptionsConfig } from 'node:util';
import { isModError } from '@mod/contracts';
import type { CliError } from './errors.js';

/** Where a command writes: injected so commands are testable without a child process. */
export interface CommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** stderr is a terminal (someone watches): long imports then show their progress without `--progress`. */
  stderrIsTTY?: boolean;
}

/** A {@link CommandIo} that keeps what a command writes, line by line (tests; running a command in-process). */
export function bufferedIo(): { out: string[]; err: string[]; io: CommandIo } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) } };
}

/**
 * One `modctl` sub-command. `run` returns the process exit code; it never calls `process.exit`. It never sees
 * `--help`: `runModctl` answers that for every command alike, with `usage` on stdout and exit code 0.
 */
export interface Command {
  name: string;
  summary: string;
  /** The full usage: synopsis of every sub-command, environment, exit codes. */
  usage: string;
  run: (argv: readonly string[], io: CommandIo) => Promise<number>;
}

/** The exit code of a usage error (unknown command or option, missing or malformed argument). */
export const EXIT_USAGE = 2;

/** A usage error: the reason (if any) and the usage on stderr; answers {@link EXIT_USAGE}. */
export function usageError(io: CommandIo, usage: string, reason?: string): number {
  io.stderr(reason === undefined ? usage : `${reason}\n${usage}`);
  return EXIT_USAGE;
}

/** An argument refused with a coded error (a malformed value): the error as JSON on stderr, {@link EXIT_USAGE}. */
export function invalidArgument(io: CommandIo, error: CliError): number {
  io.stderr(JSON.stringify({ error: error.toJSON() }));
  return EXIT_USAGE;
}

/**
 * A command that failed: its error as JSON on stderr (a coded error as it is, anything else under
 * `fallbackCode`), exit code 1.
 */
export function commandFailed(io: CommandIo, err: unknown, fallbackCode = 'MOD_ERR_CLI_UNEXPECTED'): number {
  const error = isModError(err) ? err.toJSON() : { code: fallbackCode, message: (err as Error).message };
  io.stderr(JSON.stringify({ error }));
  return 1;
}

/** A positive integer option (at most 9 digits): its value, `fallback` when absent, null when malformed. */
/**
 * Options that each take one string value (`--name value`), by name: most of a command's options. The others
 * (booleans, defaults, repeatable) are declared as `node:util` `parseArgs` takes them, beside these.
 */
export function stringOptions<const K extends string>(...names: K[]): { [N in K]: { type: 'string' } } {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as {
    [N in K]: { type: 'string' };
  };
}

export function positiveInt(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : null;
}

/**
 * A usage error for a sub-command that is missing or unknown (`modctl bank`, `modctl bank frobnicate`), the
 * last branch of every command that has sub-commands.
 */
export function unknownSubcommand(io: CommandIo, usage: string, sub: string | undefined): number {
  return usageError(io, usage, sub === undefined ? 'missing sub-command' : `unknown sub-command ${sub}`);
}

/**
 * The arguments ask for help: `--help` or `-h` anywhere before a `--` (after it, they are operands, e.g. a file
 * named `--help`).
 */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** Parses a command's arguments; on a parse error prints it with the usage and answers null (exit code 2). */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
  io: CommandIo,
): ReturnType<typeof parseArgs<T>> | null {
  try {
    return parseArgs(config);
  } catch (err) {
    usageError(io, usage, (err as Error).message);
    return null;
  }
}

/**
 * Prints up to `limit` items as JSON lines, one page of at most 1,000 at a time, each page after the last id
 * printed (the first after `after`): bounded memory however many there are.
 */
export async function printPages<T extends { id: string }>(
  io: CommandIo,
  limit: number,
  after: string | undefined,
  page: (after: string | undefined, limit: number) => Promise<readonly T[]>,
): Promise<void> {
  let printed = 0;
  while (printed < limit) {
    const items = await page(after, Math.min(1000, limit - printed));
    for (const item of items) io.stdout(JSON.stringify(item));
    printed += items.length;
    const last = items.at(-1);
    if (last === undefined) break;
    after = last.id;
  }
}

/** The option values `parseArgs` gives for `options` (strings, booleans, defaults applied). */
export type OptionValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>
>['values'];

/** What a sub-command's handler gets: its arguments as parsed, and the command's usual answers. */
export interface SubcommandContext<O extends ParseArgsOptionsConfig> {
  /** The sub-command as typed (one handler may serve several: `disable`, `enable`). */
  sub: string;
  /** Every argument after the sub-command, unparsed. */
  args: readonly string[];
  values: OptionValues<O>;
  positionals: string[];
  io: CommandIo;
  /** A usage error: the reason (if any) and the usage on stderr; exit code 2. */
  usage: (reason?: string) => number;
  /** A malformed value refused with its coded error on stderr; exit code 2. */
  invalid: (error: CliError) => number;
  /** `value` as one JSON line on stdout; answers `exitCode` (0). */
  print: (value: unknown, exitCode?: number) => number;
}

/** A command made of sub-commands (`modctl bank import ...`), described for {@link subcommandCommand}. */
export interface SubcommandSpec<O extends ParseArgsOptionsConfig> {
  name: string;
  summary: string;
  /** The full usage: synopsis of every sub-command, environment, exit codes. */
  usage: string;
  /** The options of every sub-command, as `parseArgs` takes them. */
  options: O;
  /** Operands are allowed (`FILE`, `PATTERN...`). Default false: an operand is a usage error. */
  positionals?: boolean;
  /** The arguments to parse (default: all after the sub-command), e.g. to skip a nested sub-command's word. */
  argsOf?: (sub: string | undefined, rest: readonly string[]) => string[];
  /** Rules every sub-command shares, checked before any runs: an exit code stops there. */
  check?: (ctx: SubcommandContext<O>) => number | undefined;
  /** The handler of each sub-command; a missing or unknown one is a usage error. */
  handlers: Readonly<Record<string, (ctx: SubcommandContext<O>) => Promise<number>>>;
  /** How a handler's failure is answered. Default: {@link commandFailed} (exit code 1). */
  failed?: (io: CommandIo, err: unknown) => number;
}

/**
 * A command that parses its options once, checks the shared rules, runs the sub-command's handler and answers
 * a failure as a coded error on stderr: the shape every database and broker command has.
 */
export function subcommandCommand<O extends ParseArgsOptionsConfig>(spec: SubcommandSpec<O>): Command {
  const { usage } = spec;
  const run = async (argv: readonly string[], io: CommandIo): Promise<number> => {
    const [sub, ...rest] = argv;
    const parsed = parseCommandArgs(
      {
        args: spec.argsOf?.(sub, rest) ?? rest,
        allowPositionals: spec.positionals ?? false,
        options: spec.options,
      },
      usage,
      io,
    );
    if (parsed === null) return EXIT_USAGE;
    const ctx: SubcommandContext<O> = {
      sub: sub ?? '',
      args: rest,
      values: parsed.values,
      positionals: parsed.positionals,
      io,
      usage: (reason) => usageError(io, usage, reason),
      invalid: (error) => invalidArgument(io, error),
      print: (value, exitCode = 0) => {
        io.stdout(JSON.stringify(value));
        return exitCode;
      },
    };
    const refused = spec.check?.(ctx);
    if (refused !== undefined) return refused;
    const handler = sub === undefined || !Object.hasOwn(spec.handlers, sub) ? undefined : spec.handlers[sub];
    if (handler === undefined) return unknownSubcommand(io, usage, sub);
    try {
      return await handler(ctx);
    } catch (err) {
      return spec.failed === undefined ? commandFailed(io, err) : spec.failed(io, err);
    }
  };
  return { name: spec.name, summary: spec.summary, usage, run };
}
