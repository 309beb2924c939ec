import { parseArgs, type ParseArgsConfig } from 'node:util';
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
