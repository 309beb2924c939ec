import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commands, runModctl } from './index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

async function modctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runModctl(commands, argv, {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Every command and, for those that have them, its sub-commands (as the usage names them). */
const invocations: Record<string, string[][]> = {
  hash: [[]],
  bank: [['import'], ['export'], ['create']],
  'url-list': [['create'], ['add'], ['remove'], ['list'], ['import'], ['settings']],
  audit: [['verify']],
  tenant: [['create'], ['list'], ['settings'], ['disable'], ['enable']],
  key: [['issue'], ['revoke'], ['list']],
  people: [['add'], ['reset'], ['list']],
  kafka: [['setup'], ['acls'], ['partner', 'grant'], ['partner', 'revoke']],
  dlq: [['list'], ['show'], ['replay']],
};

describe('modctl help and version', () => {
  it('lists every command on stdout and exits 0 for --help, -h and help', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await modctl(...argv);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(/^usage: modctl <command>/);
      for (const c of commands) expect(r.out.split('\n')).toContain(`  ${c.name.padEnd(10)} ${c.summary}`);
    }
    expect(commands.map((c) => c.name)).toEqual(Object.keys(invocations));
  });

  it("prints each command's usage on stdout and exits 0, for the command and every sub-command", async () => {
    for (const command of commands) {
      const usage = command.usage;
      expect(usage).toMatch(new RegExp(`^usage: modctl ${command.name}`));
      expect(usage).toMatch(/^exit codes: 0 /m);
      const asked = [
        ['help', command.name],
        [command.name, '--help'],
        [command.name, '-h'],
        ...(invocations[command.name] ?? []).map((sub) => [command.name, ...sub, '--help']),
        // Help wins over whatever else is on the line (nothing runs, nothing is checked).
        ...(invocations[command.name] ?? []).map((sub) => [command.name, ...sub, '--bogus', 'x', '--help']),
      ];
      for (const argv of asked) {
        expect({ argv, ...(await modctl(...argv)) }).toEqual({ argv, code: 0, out: usage, err: '' });
      }
    }
  });

  it('prints the versions of modctl (its package.json) and Node.js, and exits 0', async () => {
    expect(await modctl('--version')).toEqual({
      code: 0,
      out: `modctl ${pkg.version} (Node.js ${process.version})`,
      err: '',
    });
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('modctl usage errors', () => {
  it('print the usage on stderr and exit 2: no command, an unknown one, help on an unknown one', async () => {
    const list = (await modctl('--help')).out;
    expect(await modctl()).toEqual({ code: 2, out: '', err: `missing command\n${list}` });
    expect(await modctl('frobnicate')).toEqual({
      code: 2,
      out: '',
      err: `unknown command frobnicate\n${list}`,
    });
    expect(await modctl('help', 'frobnicate')).toEqual({
      code: 2,
      out: '',
      err: `unknown command frobnicate\n${list}`,
    });
  });

  it("print the command's usage on stderr and exit 2: a missing or unknown sub-command, option or argument", async () => {
    for (const command of commands) {
      const cases = [
        // A command without sub-commands misses its operand; the others their sub-command.
        [command.name],
        // (hash has no sub-commands: its first argument is a file)
        ...(command.name === 'hash' ? [] : [[command.name, 'frobnicate']]),
        [command.name, ...(invocations[command.name]?.[0] ?? []), '--bogus'],
      ];
      for (const argv of cases) {
        const r = await modctl(...argv);
        expect({ argv, code: r.code, out: r.out }).toEqual({ argv, code: 2, out: '' });
        expect(r.err.endsWith(command.usage)).toBe(true);
        // The reason comes first, on a line of its own.
        expect(r.err.length).toBeGreaterThan(command.usage.length);
      }
    }
  });

  it('a --help after -- is an operand, not a request for help', async () => {
    const r = await modctl('hash', '--', '--help');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      file: '--help',
      error: { code: 'MOD_ERR_CLI_FILE_UNREADABLE' },
    });
  });
});

describe('the modctl executable', () => {
  const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  async function exec(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...argv]);
      return { code: 0, out: stdout, err: stderr };
    } catch (e) {
      const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
      return { code, out: stdout, err: stderr };
    }
  }

  it('answers help and version on stdout with exit 0, and a usage error on stderr with exit 2', async () => {
    const list = (await modctl('--help')).out;
    expect(await exec('--help')).toEqual({ code: 0, out: `${list}\n`, err: '' });
    expect(await exec('kafka', 'partner', 'grant', '--help')).toEqual({
      code: 0,
      out: `${commands.find((c) => c.name === 'kafka')?.usage}\n`,
      err: '',
    });
    expect(await exec('--version')).toEqual({
      code: 0,
      out: `modctl ${pkg.version} (Node.js ${process.version})\n`,
      err: '',
    });
    expect(await exec('frobnicate')).toEqual({
      code: 2,
      out: '',
      err: `unknown command frobnicate\n${list}\n`,
    });
  });
});
