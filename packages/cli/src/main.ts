#!/usr/bin/env node
import { commands } from './index.js';
import type { CommandIo } from './command.js';

const io: CommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr('usage: modctl <command> [args...]');
    for (const c of commands) io.stderr(`  ${c.name.padEnd(10)} ${c.summary}`);
    io.stderr('modctl <command> --help shows its options, environment and exit codes');
    return name === undefined || name === '--help' ? 0 : 2;
  }
  return command.run(rest, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    io.stderr(JSON.stringify({ error: { code: 'MOD_ERR_CLI_UNEXPECTED', message: String(err) } }));
    process.exitCode = 1;
  },
);
