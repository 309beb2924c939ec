import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@mod/telemetry';

/** What deploy/local/demo.sh pipes the services' logs through on the way to the terminal. */
const script = fileURLToPath(new URL('../../../deploy/local/pretty-logs.sh', import.meta.url));

function prettyPrint(input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env: { ...process.env, TZ: 'UTC' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

describe("the demo's human-readable logs", () => {
  it('print each JSON line of the services as one readable line, keeping the fields (a verdict its decision)', async () => {
    const lines: string[] = [];
    const destination = { write: (s: string) => void lines.push(s) };
    // As the services log (the same logger, the same fields as the actioner's and the demo's lines).
    const submissionId = '96416303-7241-4fff-a917-57d9f4cc4c08';
    createLogger('demo', 'info', destination).info(
      { n: 0, kind: 'known-copy', status: 202, submissionId },
      'uploaded',
    );
    const actioner = createLogger('actioner', 'info', destination);
    actioner.info({ submissionId, decision: 'block', hits: 2, orders: 2, cases: 1 }, 'verdict actioned');
    actioner.warn({ err: new Error('broker unreachable') }, 'publish failed');
    const json = lines.join('');
    const times = lines.map((l) => (JSON.parse(l) as { time: string }).time.slice(11, 23));

    const { code, out, err } = await prettyPrint(`${json}not JSON: passed through\n`);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const shown = out.split('\n');
    expect(shown[0]).toBe(
      `[${times[0]}] INFO: demo: uploaded {"n":0,"kind":"known-copy","status":202,"submissionId":"${submissionId}"}`,
    );
    expect(shown[1]).toBe(
      `[${times[1]}] INFO: actioner: verdict actioned {"submissionId":"${submissionId}","decision":"block","hits":2,"orders":2,"cases":1}`,
    );
    // An error keeps its message and stack, on the lines below its own.
    expect(shown[2]).toMatch(new RegExp(`^\\[${times[2]}\\] WARN: actioner: publish failed`));
    expect(out).toContain('"message": "broker unreachable"');
    expect(out).toMatch(/^ +Error: broker unreachable$/m);
    expect(shown.at(-2)).toBe('not JSON: passed through');
  });
});
