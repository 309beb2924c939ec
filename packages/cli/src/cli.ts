import { readFileSync } from 'node:fs';
import { asksForHelp, usageError, type Command, type CommandIo } from './command.js';
import { terminalSafeIo } from './terminal-text.js';

/** The list of commands `modctl --help` prints (stdout) and a usage error prints (stderr). */
export function modctlUsage(commands: readonly Command[]): string {
  return [
    'usage: modctl <command> [args...]',
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    'modctl <command> --help (or modctl help <command>) shows its options, environment and exit codes;',
    'modctl --version shows the versions of modctl and Node.js.',
  ].join('\n');
}

/** `modctl 0.1.0 (Node.js v24.x.y)`: the CLI package's version and the runtime's. */
export function modctlVersion(): string {
  // packages/cli/package.json, from src/ (tests) and dist/ (the installed bin) alike.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `modctl ${pkg.version} (Node.js ${process.version})`;
}

/**
 * Runs `modctl argv` against `commands`: the one place that answers help and version for every command, so
 * they behave alike. `--help`, `-h`, `help` and `help COMMAND`, and `COMMAND [SUB...] --help`, print the usage
 * on stdout and exit 0; `--version` prints the versions and exits 0. A usage error (no command, an unknown one)
 * prints the usage on stderr and exits 2; the commands do the same for their own usage errors. Every line goes out
 * through `terminalSafe`: text a partner chose (a dead letter's key, a tenant's name) never reaches the terminal raw.
 */
export async function runModctl(
  commands: readonly Command[],
  argv: readonly string[],
  rawIo: CommandIo,
): Promise<number> {
  const io = terminalSafeIo(rawIo);
  const [name, ...rest] = argv;
  const usage = modctlUsage(commands);
  if (name === '--version') {
    io.stdout(modctlVersion());
    return 0;
  }
  if (name === '--help' || name === '-h') {
    io.stdout(usage);
    return 0;
  }
  if (name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout(usage);
      return 0;
    }
    const command = commands.find((c) => c.name === topic);
    if (command === undefined) return usageError(io, usage, `unknown command ${topic}`);
    io.stdout(command.usage);
    return 0;
  }
  if (name === undefined) return usageError(io, usage, 'missing command');
  const command = commands.find((c) => c.name === name);
  if (command === undefined) return usageError(io, usage, `unknown command ${name}`);
  if (asksForHelp(rest)) {
    io.stdout(command.usage);
    return 0;
  }
  return command.run(rest, io);
}
