import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';

/** What a periodic runner did before and after SIGTERM (`runUntilStopped`). */
export interface PeriodicRun {
  /** Each run of the command: `<KAFKA_SASL_USERNAME> <MODCTL_ACTOR> <arguments>`. */
  calls: string[];
  /** The runner's exit code after SIGTERM. */
  exitCode: number | null;
  /** The second run's process, hung when the runner was stopped. */
  hungPid: number;
}

/**
 * Runs a periodic runner's shell `script` (deploy/local/demo.sh's kafka standing loop, compose's kafka-standing
 * command) with an executable stand-in at `standIn` for the command it repeats: the stand-in records each run,
 * answers the first with `{"changes":[]}` and hangs in the second (`sleep 300`), where the test sends the runner
 * SIGTERM. `printsPid`: the script prints the runner's pid on its first line (a background loop); otherwise the
 * runner is the script's own process. Resolves once the runner has exited.
 */
export async function runUntilStopped(options: {
  shell: 'sh' | 'bash';
  script: string;
  standIn: string;
  dir: string;
  env: Record<string, string>;
  printsPid: boolean;
}): Promise<PeriodicRun> {
  const calls = join(options.dir, 'runner-calls');
  const hung = join(options.dir, 'runner-hung.pid');
  writeFileSync(
    options.standIn,
    [
      '#!/usr/bin/env bash',
      `printf '%s %s %s\\n' "$KAFKA_SASL_USERNAME" "$MODCTL_ACTOR" "$*" >> '${calls}'`,
      `if [ "$(wc -l < '${calls}')" -ge 2 ]; then echo $$ > '${hung}.tmp'; mv '${hung}.tmp' '${hung}'; exec sleep 300; fi`,
      `echo '{"changes":[]}'`,
    ].join('\n'),
    { mode: 0o755 },
  );
  const runner = spawn(options.shell, ['-c', options.script], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => runner.on('exit', (code) => resolve(code)));
  const pid = options.printsPid
    ? await new Promise<number>((resolve) => runner.stdout.once('data', (d) => resolve(Number(String(d)))))
    : (runner.pid ?? 0);
  await vi.waitFor(() => expect(existsSync(hung)).toBe(true), { timeout: 30_000, interval: 50 });
  process.kill(pid, 'SIGTERM');
  const exitCode = await exited;
  return {
    calls: readFileSync(calls, 'utf8').trim().split('\n'),
    exitCode,
    hungPid: Number(readFileSync(hung, 'utf8')),
  };
}

/** Resolves once process `pid` is gone (throws if it is still there after a while). */
export async function processGone(pid: number): Promise<void> {
  await vi.waitFor(() => expect(() => process.kill(pid, 0)).toThrow(), { timeout: 10_000, interval: 50 });
}
