#!/usr/bin/env node
import { commands, runModctl } from './index.js';
import type { CommandIo } from './command.js';
import { terminalSafeIo } from './terminal-text.js';

const io: CommandIo = terminalSafeIo({
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stderrIsTTY: process.stderr.isTTY === true,
});

runModctl(commands, process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    io.stderr(JSON.stringify({ error: { code: 'MOD_ERR_CLI_UNEXPECTED', message: String(err) } }));
    process.exitCode = 1;
  },
);
