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
