import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDeployFile } from './deploy-files.js';
import { processGone, runUntilStopped } from './periodic-runner.js';

// deploy/local/demo.sh's demo_person (it makes or resets a demo person and prints their one-time password) run with
// a stand-in modctl, and a node that logs the command line it was given: the password must never be on one (any
// user of the machine reads command lines with ps, and the first to sign in with it takes the account).

const dir = mkdtempSync(join(tmpdir(), 'mod-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The text of a shell function of demo.sh, from its `name() {` line to the `}` that closes it. */
function shellFunction(script: string, name: string): string {
  const lines = script.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name}() {`));
  const end = lines.findIndex((l, i) => i > start && l === '}');
  expect(start, name).toBeGreaterThanOrEqual(0);
  return lines.slice(start, end + 1).join('\n');
}

/**
 * A bash script running demo.sh's function `name` as the demo does, with the globals its service functions read:
 * LOG_DIR, `pids` (what it started), a silent `log`, and `export_kafka_client_env` of body `kafkaEnv`; then
 * `commands`.
 */
function demoScript(name: string, logDir: string, kafkaEnv: string, commands: string[]): string {
  return [
    `LOG_DIR='${logDir}'`,
    'pids=()',
    'log() { :; }',
    `export_kafka_client_env() { ${kafkaEnv}; }`,
    shellFunction(readDeployFile('local/demo.sh'), name),
    ...commands,
  ].join('\n');
}

describe('deploy/local/demo.sh', () => {
  it("prints a demo person's one-time password without putting it on a command line", () => {
    const otp = 'Otp-5ecret-7XQ2';
    const argvLog = join(dir, 'node-argv');
    // node as the demo runs it, each command line kept.
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(
      join(bin, 'node'),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${process.execPath}' "$@"\n`,
      { mode: 0o755 },
    );
    const made = JSON.stringify({ person: { id: 'p1', login: 'demo.reviewer' }, oneTimePassword: otp });
    const script = [
      // modctl people list finds no one; people add answers the made person.
      `modctl() { if [ "$2" = list ]; then return 0; fi; printf '%s\\n' '${made}'; }`,
      shellFunction(readDeployFile('local/demo.sh'), 'demo_person'),
      'demo_person demo-hotline demo.reviewer reviewer "Demo reviewer"',
    ].join('\n');
    const printed = execFileSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    });
    expect(printed.trim()).toBe(otp);
    expect(readFileSync(argvLog, 'utf8')).not.toContain(otp);
  });

  it('runs the standing watcher as the admin principal, again should it stop, and SIGTERM stops it', async () => {
    // A tenant disabled in the demo loses its partner principal's broker access as soon as the watcher reads it.
    const logDir = join(dir, 'standing-logs');
    const bin = join(dir, 'standing-bin');
    execFileSync('mkdir', ['-p', logDir, bin]);
    const script = demoScript('start_standing_loop', logDir, 'export KAFKA_SASL_USERNAME="$1"', [
      'start_standing_loop 0 9106',
      'echo "${pids[0]}"',
      'wait',
    ]);
    const run = await runUntilStopped({
      shell: 'bash',
      script,
      standIn: join(bin, 'node'),
      dir,
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      printsPid: true,
    });
    const call = 'admin demo-kafka-standing packages/cli/dist/main.js kafka standing --watch --ops-port 9106';
    expect(run.calls).toEqual([call, call]);
    expect(readFileSync(join(logDir, 'kafka-standing.log'), 'utf8')).toBe('{"changes":[]}\n');
    expect(run.exitCode).toBe(0);
    // The run in progress went with the loop: nothing of it outlives the demo.
    await processGone(run.hungPid);
  });

  it("writes each service's log for its owner alone, a log left by an earlier run included", () => {
    // A service's log holds its request lines (client addresses, the paths they asked for), the URLs it fetched and
    // the internal addresses webhooks resolved to: logs outlive processing, and .data/ is any user's to enter.
    const logDir = join(dir, 'logs');
    execFileSync('mkdir', ['-p', logDir]);
    writeFileSync(join(logDir, 'api.log'), 'an earlier run\n', { mode: 0o644 });
    const script = demoScript('start_service', logDir, ':', [
      'umask 022',
      'start_service api 9105 services/api/dist/main.js',
      'start_service scanner 9101 services/scanner/dist/main.js',
      'wait',
    ]);
    // The service: a node that writes a line and exits.
    const bin = join(dir, 'service-bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'node'), '#!/usr/bin/env bash\necho "started $*"\n', { mode: 0o755 });
    execFileSync('bash', ['-c', script], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    for (const name of ['api', 'scanner']) {
      const log = join(logDir, `${name}.log`);
      expect(readFileSync(log, 'utf8'), name).toContain('started');
      expect(statSync(log).mode & 0o777, name).toBe(0o600);
    }
  });
});
