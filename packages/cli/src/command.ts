import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes: injected so commands are testable without a child process. */
export interface CommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** One `modctl` sub-command. `run` returns the process exit code; it never calls `process.exit`. */
export interface Command {
  name: string;
  summary: string;
  run: (argv: readonly string[], io: CommandIo) => Promise<number>;
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
    io.stderr(`${(err as Error).message}\n${usage}`);
    return null;
  }
}
